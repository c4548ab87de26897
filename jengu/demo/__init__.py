"""The demo data set (``manage.py seed_demo``): generated, realistic, made the way production makes it.

Hotels in seventeen countries (chain properties named brand + city + area, independent
boutique hotels, a few chain head offices), each with its general manager, the job
postings that made us find it and a pipeline story. The story is walked transition by
transition through ``infra.statemachine.transition`` with back-dated ``at=`` times, so
every prospect's and email's stage history in the admin reads like real work:
enrichment and research minutes or hours apart, sends only when the sender would send
(``outreach.business_hours``: 09–17 on a working day where the prospect is) from an
inbox that still had warmup room that day,
follow-ups on the campaign's days, replies, meetings, wins and losses.

Where things are, in the order a batch uses them:

* ``catalogue`` (reading ``data/``): places, people, brands, texts; ``intents``: how
  each kind of reply reads; ``dice``: the seeded randomness.
* ``hotels``: who a prospect is; ``stories``: what happened to it, as steps with gaps;
  ``calendar``: when each step happened (sends in the sender's hours with inbox room);
  ``content``: what its adverts, reports, emails and replies say; ``writer``: the rows
  and state changes, written through the state machine; ``batch``: one batch, end to end.

Contract:

* Deterministic: on an empty database ``--seed S`` always produces the same hotels,
  people and stages. Times are relative to now, and the few sends in flight are placed
  in cities where it is business hours now, so exact minutes depend on the clock.
  Running it again adds another batch, drawn from a generator seeded with S and the
  number of prospects already present, so addresses and hotel names do not repeat.
* Every address and website is on the reserved ``.example`` domain (RFC 2606) and every
  phone number is in a range set aside for fiction, so no demo email can reach a real
  person even after real provider keys are configured. Brand names are real, people
  and head offices are invented.
* All transitions are recorded with the actor ``system:seed_demo``.
"""
