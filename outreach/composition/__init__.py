"""Composition: the email a general manager reads, written from what we know about the hotel.

- ``context.build_context(prospect, campaign, step=, angle=, constraints=)`` gathers what
  an email may say: the contact and hotel, the research report's pain signals, the
  hiring signal (latest job posting), website gaps, news and the campaign. Text that came
  from outside (names, titles, reviews) is cleaned of template syntax on the way in; a
  job title loses its job-board markers and is named in the email's language
  (``roles``, the role table in ``data/hotel_roles.csv``); what research found about the
  hotel is ranked by confidence (``hotel_facts``).
- ``composer.compose(context)`` asks the AI gateway (Grok → Claude) for subject and
  body against a schema, with the campaign's example emails and the ranked facts, runs
  the quality gates, regenerates with the failures named as constraints (at most twice),
  and falls back to the Django templates in ``templates/outreach/emails/<lang>/``
  (``templates.render_fallback``), whose paragraphs each have several written phrasings,
  one chosen per prospect (``variants``).
- ``gates.run_gates(draft, context)`` records spam (heuristic + SpamAssassin via spamd),
  readability (Flesch), facts (numbers and names must come from the context) and form
  (placeholders, greeting, subject length, word count, links, broken sentences and
  unpaired brackets or quotes).
- ``measures`` is what the campaign preview and ``bench/composition.py`` report:
  5-word-shingle similarity between emails, broken punctuation, mixed-language
  sentences, facts cited.

Nothing here writes to the database except the AI gateway's call log; the pipeline
stage and the services (``outreach.services.composition``) create the Email rows.
"""
