"""One prospect per hotel: keys, constraints, merging, near-duplicates, concurrency."""

import random
import threading

import pytest
from django.db import IntegrityError, connections, transaction

from infra.models import StateTransition
from outreach.models import Email
from prospects.dedup import (
    company_key,
    prospect_ingest,
    website_domain,
)
from prospects.models import JobPosting, PossibleDuplicate, Prospect, ProspectStage
from prospects.services.duplicates import possible_duplicate_dismiss, possible_duplicate_merge
from replies.models import Reply
from tests.factories import EmailFactory, ProspectFactory, ReplyFactory
from tests.support.brokers import broker_fixture  # noqa: F401  (`broker`: the race on the database and on Redis)


def posting(source, url, company="Hotel Adlon Kempinski", title="Front Desk Manager", tier=""):
    return {
        "source": source,
        "title": title,
        "company_name": company,
        "url": url,
        "location": "Berlin",
        **({"tier": tier} if tier else {}),
    }


@pytest.mark.parametrize(
    "a, b",
    [
        ("Hotel Adlon Kempinski", "The Adlon Kempinski Hotel"),
        ("Grand Hôtel Müller GmbH", "grand hotel muller"),
        ("Strandhotel Weißes Rössl", "STRANDHOTEL WEISSES RÖSSL"),
        ("The Savoy, Ltd.", "Savoy"),
        ("Ritz-Carlton Denver", "Ritz Carlton Denver"),
    ],
)
def test_company_key_ignores_case_accents_punctuation_suffixes_and_noise(a, b):
    assert company_key(a) == company_key(b)


def test_different_hotels_keep_different_keys():
    assert company_key("Hilton Garden Inn Denver") != company_key("Hilton Denver")


def test_website_domain():
    assert website_domain("https://www.Hotel-Adlon.de/en/rooms?x=1") == "hotel-adlon.de"
    assert website_domain("hotel-adlon.de") == "hotel-adlon.de"
    assert website_domain("") == ""


@pytest.mark.django_db
def test_the_same_hotel_from_three_sources_is_one_prospect_with_three_postings():
    results = [
        prospect_ingest(
            fields={"company_name": "Hotel Adlon Kempinski", "city": "Berlin"},
            posting=posting("linkedin", "https://linkedin.test/jobs/1"),
        ),
        prospect_ingest(
            fields={"company_name": "The Adlon Kempinski Hotel", "city": "berlin", "phone": "+49 30 2261 0"},
            posting=posting("indeed", "https://indeed.test/viewjob?jk=2", tier="hot"),
        ),
        prospect_ingest(
            fields={"company_name": "ADLON KEMPINSKI", "city": "Berlin"},
            posting=posting("google_jobs", "https://google.test/jobs/3", title="Revenue Manager"),
        ),
    ]
    assert [r.created for r in results] == [True, False, False]
    prospect = Prospect.objects.get()
    assert prospect.job_postings.count() == 3
    assert prospect.phone == "+49 30 2261 0"  # the merge filled what was missing
    assert prospect.company_name == "Hotel Adlon Kempinski"  # and overwrote nothing
    assert prospect.tier == "hot"  # the freshest hiring signal warmed it up


@pytest.mark.django_db
def test_the_same_posting_seen_again_adds_nothing():
    fields = {"company_name": "Hotel Adlon Kempinski", "city": "Berlin"}
    prospect_ingest(fields=fields, posting=posting("linkedin", "https://linkedin.test/jobs/1"))
    again = prospect_ingest(fields=fields, posting=posting("linkedin", "https://linkedin.test/jobs/1"))
    assert again.posting is None and not again.created
    assert JobPosting.objects.count() == 1


@pytest.mark.django_db
def test_domain_and_email_identify_a_hotel_once_known():
    first = ProspectFactory(
        company_name="Adlon", city="Berlin", company_website="https://www.hotel-adlon.de", email="gm@hotel-adlon.de"
    )
    by_domain = prospect_ingest(
        fields={
            "company_name": "Hotel Adlon Kempinski Berlin GmbH",
            "city": "Berlin-Mitte",
            "company_website": "http://hotel-adlon.de/",
        }
    )
    by_email = prospect_ingest(fields={"company_name": "Kempinski Berlin", "city": "", "email": "GM@hotel-adlon.de"})
    assert by_domain.prospect == first == by_email.prospect
    assert Prospect.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_prospect_for_one_hotel():
    ProspectFactory(company_name="Hotel Sacher", city="Wien", email="", company_website="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProspectFactory(company_name="The Sacher Hotel", city="WIEN", email="", company_website="")


@pytest.mark.django_db
def test_a_second_contact_at_the_same_hotel_is_its_own_prospect():
    ProspectFactory(company_name="Hotel Sacher", city="Wien", email="")
    result = prospect_ingest(
        fields={
            "company_name": "Hotel Sacher",
            "city": "Wien",
            "name": "Mike Peters",
            "email": "mike@sacher.test",
            "contact_key": "mike@sacher.test",
        }
    )
    assert result.created
    assert Prospect.objects.filter(company_key="sacher").count() == 2


@pytest.mark.django_db
def test_near_duplicates_are_flagged_with_a_score_not_merged():
    a = prospect_ingest(fields={"company_name": "Marriott Courtyard Denver", "city": "Denver"}).prospect
    b = prospect_ingest(fields={"company_name": "Courtyard by Marriott Denver Downtown", "city": "Denver"})
    unrelated = prospect_ingest(fields={"company_name": "Hyatt Regency Denver", "city": "Denver"})
    assert b.created and Prospect.objects.count() == 3
    flag = PossibleDuplicate.objects.get()
    assert (flag.prospect, flag.other) == (a, b.prospect) and flag.score >= 88
    assert unrelated.flagged == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_near_duplicate_check_reads_its_city_through_an_index():
    """It runs on every ingest; as a full scan it cost 1.4 s per new prospect at a million rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # enough hotels elsewhere that the planner's choice reflects a real table, whatever
    # statistics earlier tests left behind (on a handful of rows any index looks as good)
    Prospect.objects.bulk_create(
        Prospect(company_name=f"Hotel {n}", city="Lyon", city_key="lyon", company_key=f"hotel{n}") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Prospect._meta.db_table}")
    prospect_ingest(fields={"company_name": "Hyatt Regency Denver", "city": "Denver"})
    with CaptureQueriesContext(connection) as captured:
        prospect_ingest(fields={"company_name": "Hotel Teatro", "city": "Denver"})
    (city_read,) = [q["sql"] for q in captured if '"city_key" =' in q["sql"] and "LIMIT 500" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
        cursor.execute(f"EXPLAIN {city_read}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "prospect_city_hotels_idx" in plan, plan


@pytest.mark.django_db
def test_merge_keeps_every_posting_email_and_reply_and_logs_it():
    keep = prospect_ingest(
        fields={"company_name": "Marriott Courtyard Denver", "city": "Denver"},
        posting=posting("linkedin", "https://l/1"),
    ).prospect
    gone = prospect_ingest(
        fields={
            "company_name": "Courtyard by Marriott Denver Downtown",
            "city": "Denver",
            "name": "Sarah Johnson",
            "email": "sarah@cy-denver.test",
        },
        posting=posting("indeed", "https://i/2"),
    ).prospect
    email = EmailFactory(prospect=gone)
    ReplyFactory(email=email, prospect=gone)
    flag = PossibleDuplicate.objects.get()
    possible_duplicate_merge(duplicate=flag, by="user:sally")
    keep.refresh_from_db()
    gone.refresh_from_db()
    assert keep.job_postings.count() == 2
    assert Email.objects.get().prospect == keep and Reply.objects.get().prospect == keep
    assert keep.name == "Sarah Johnson"  # what the merged one knew
    assert (gone.stage, gone.merged_into, gone.lost_reason) == (ProspectStage.LOST, keep, f"merged into #{keep.pk}")
    log = StateTransition.objects.get(object_id=gone.pk, transition="mark_lost")
    assert log.reason == f"merged into #{keep.pk}" and log.actor == "user:sally"
    flag.refresh_from_db()
    assert flag.status == PossibleDuplicate.Status.MERGED
    from infra.errors import ApplicationError

    with pytest.raises(ApplicationError):
        possible_duplicate_dismiss(duplicate=flag, by="user:sally")


RACE_HOTELS = [
    ("Hotel Adlon Kempinski", "Berlin"),
    ("The Savoy", "London"),
    ("Hotel Sacher", "Wien"),
    ("Marriott Courtyard Denver", "Denver"),
    ("Belmond Copacabana Palace", "Rio de Janeiro"),
]


def race_work(workers: int = 8) -> dict[int, list[tuple]]:
    """Each worker's (worker, name, city, url) jobs: every hotel under a different spelling, shuffled."""
    variants = {0: "{}", 1: "The {}", 2: "{} Hotel", 3: "{} Ltd."}
    jobs = []
    for worker in range(workers):
        for n, (company, city) in enumerate(RACE_HOTELS):
            name = variants[(worker + n) % 4].format(company)
            jobs.append((worker, name, city, f"https://board.test/{worker}/{n}"))
    per_worker = {w: [j for j in jobs if j[0] == w] for w in range(workers)}
    for work in per_worker.values():
        random.Random(7).shuffle(work)
    return per_worker


def assert_one_prospect_per_hotel_with_every_posting(workers: int = 8):
    assert Prospect.objects.count() == len(RACE_HOTELS)
    assert JobPosting.objects.count() == len(RACE_HOTELS) * workers
    for prospect in Prospect.objects.all():
        assert prospect.job_postings.count() == workers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_threads_create_no_duplicate_and_lose_no_posting():
    per_worker = race_work()
    barrier = threading.Barrier(8)
    errors = []

    def worker(work):
        try:
            barrier.wait()
            for _, name, city, url in work:
                prospect_ingest(
                    fields={"company_name": name, "city": city},
                    posting={"source": "linkedin", "title": "GM", "company_name": name, "url": url},
                )
        except Exception as exc:  # collected: a failure in a thread must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(w,)) for w in per_worker.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_one_prospect_per_hotel_with_every_posting()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_worker_processes_on_the_broker_create_no_duplicate_and_lose_no_posting(broker, tmp_path):
    """The same race between eight q2 worker processes taking their work from the broker, as acquisition's
    page tasks do (each waits for the others at a barrier, then ingests)."""
    from django_q.models import Task
    from django_q.tasks import async_task

    from tests.support.workers import start_cluster, stop, wait_for

    barrier = tmp_path / "barrier"
    barrier.mkdir()
    task_ids = [
        async_task(
            "tests.support.ingest_race.ingest_after_barrier",
            [(name, city, url) for _, name, city, url in work],
            str(barrier),
            8,
            cluster="enrichment",
        )
        for work in race_work().values()
    ]
    assert broker.queue_size("enrichment") == 8
    log = tmp_path / "qcluster.log"
    cluster = start_cluster("enrichment", log, broker, workers=8, timeout=120, retry=150)
    try:
        wait_for(lambda: Task.objects.filter(id__in=task_ids).count() == 8, 120, "the eight ingest tasks", log)
    finally:
        stop(cluster)
    tasks = list(Task.objects.filter(id__in=task_ids))
    assert [task.result for task in tasks] == [5] * 8, [task.result for task in tasks]
    assert len(list(barrier.iterdir())) == 8  # eight processes met at the barrier
    assert_one_prospect_per_hotel_with_every_posting()


@pytest.mark.django_db
def test_merging_every_pair_of_a_cluster_leaves_one_prospect_with_everything():
    from outreach.models import Email

    a, b, c = (ProspectFactory(company_name=f"Courtyard Denver {n}", city="Denver") for n in ("A", "B", "C"))
    on_c = EmailFactory(prospect=c)
    pairs = [PossibleDuplicate.objects.create(prospect=x, other=y, score=90) for x, y in ((a, b), (a, c), (b, c))]
    for pair in pairs:  # staff select all three and merge
        assert possible_duplicate_merge(duplicate=pair, by="user:sally") == a
    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.merged_into, c.merged_into) == (a, a)  # never onto B, which was already gone
    assert Email.objects.get(pk=on_c.pk).prospect == a
    assert set(PossibleDuplicate.objects.values_list("status", flat=True)) == {PossibleDuplicate.Status.MERGED}


@pytest.mark.parametrize(
    "a, b",
    [
        ("Hotel Straße", "HOTEL STRASSE"),  # ß, and case, as infra.text.fold spells them
        ("Hotel Weiß", "Hotel WEISS"),
        ("Kırşehir Otel", "Kirsehir Otel"),  # Turkish dotless ı
        ("Œuvre Hôtel", "oeuvre hotel"),
        ("Hotel Søndergård", "Hotel Sondergard"),
    ],
)
def test_company_key_folds_special_letters_as_the_one_fold_does(a, b):
    assert company_key(a) == company_key(b) != ""
