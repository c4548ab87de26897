"""``{% load safe_links %}`` — ``{{ url|safe_href }}``: the URL if it is http(s), else ``""``.

For every link whose address came from outside (a hotel page, a search result): a
template renders ``<a href>`` only when the filter returns something, and shows the
text alone otherwise, so a stored ``javascript:`` URL is never a live link.
"""

from django import template

from infra.links import http_url

register = template.Library()


@register.filter
def safe_href(value) -> str:
    return http_url(value)
