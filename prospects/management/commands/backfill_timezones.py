"""`manage.py backfill_timezones [--all]`: fill prospects' IANA time zone from their location."""

from django.core.management.base import BaseCommand
from rich.progress import track

from prospects.extraction import parse_location
from prospects.models import Prospect


class Command(BaseCommand):
    help = "Set the IANA time zone (and missing country/region) of prospects from their city/region/country."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recompute even where a time zone is set")

    def handle(self, *args, all, **options):
        prospects = Prospect.objects.all() if all else Prospect.objects.filter(timezone="")
        ids = list(prospects.values_list("id", flat=True))
        filled = unresolved = 0
        for prospect_id in track(ids, description="Time zones"):
            prospect = Prospect.objects.get(pk=prospect_id)
            place = ", ".join(p for p in (prospect.city, prospect.region, prospect.country.name) if p)
            location = parse_location(place, country_hint=prospect.country.code or "")
            if not location.timezone:
                unresolved += 1
                continue
            prospect.timezone = location.timezone
            prospect.region = prospect.region or location.region
            prospect.country = prospect.country or location.country_code
            prospect.save(update_fields=["timezone", "region", "country", "updated_at"])
            filled += 1
        self.stdout.write(self.style.SUCCESS(f"{filled} time zone(s) set, {unresolved} left (location unknown)."))
