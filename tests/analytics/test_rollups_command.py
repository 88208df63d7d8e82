import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from analytics import rollups, services
from analytics.models import SupportHourly, SupportLive
from core.models import Workspace
from tests.factories import support_event, validated


def conversation(conversation_id: str, *, start: int = 0) -> list[dict]:
    return [
        support_event(
            "created", event_id=f"{conversation_id}-c", conversation=conversation_id, minutes=start, channel="email"
        ),
        support_event(
            "agent_replied",
            event_id=f"{conversation_id}-r",
            conversation=conversation_id,
            minutes=start + 10,
            channel="email",
            agent="a1",
        ),
        support_event(
            "resolved",
            event_id=f"{conversation_id}-s",
            conversation=conversation_id,
            minutes=start + 70,
            channel="email",
            agent="a1",
        ),
    ]


def run(*args) -> str:
    out = io.StringIO()
    call_command("rollups", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_verify_reports_zero_differences_on_consistent_summaries(workspace):
    """Verifies `rollups verify` prints 0 differences when the triggers kept everything exact."""
    services.events_ingest(workspace=workspace, events=validated(conversation("c1")))
    assert run("verify").strip() == "0 differences"


@pytest.mark.django_db
def test_verify_prints_each_differing_row_and_exits_1(workspace):
    """Verifies a tampered summary row is printed with both values and the command fails with exit code 1."""
    services.events_ingest(workspace=workspace, events=validated(conversation("c1")))
    SupportHourly.objects.filter(workspace=workspace, agent_id="a1", agent_replies=1).update(agent_replies=5)
    SupportLive.objects.create(workspace=workspace, channel_id="ghost", open=2)
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("rollups", "verify", stdout=out)
    assert failure.value.returncode == 1
    assert str(failure.value) == "2 differences"
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["table", "key", "column", "summary", "recomputed"]
    assert any(
        "support_hourly" in line and "agent_replies" in line and line.split()[-2:] == ["5", "1"] for line in lines
    )
    assert any(
        "support_live" in line and "channel_id=ghost" in line and line.split()[-2:] == ["2", "0"] for line in lines
    )


@pytest.mark.django_db
def test_rebuild_restores_tampered_summaries(workspace):
    """Verifies `rollups rebuild` replaces wrong or missing summary rows with the recomputation."""
    services.events_ingest(workspace=workspace, events=validated(conversation("c1") + conversation("c2", start=90)))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM conversation WHERE conversation_id = 'c2'")
        cursor.execute("UPDATE event_hourly SET events = 99")
    assert len(list(rollups.differences())) > 0
    out = run("rebuild")
    total = len(rollups.SUMMARIES)
    assert f"{total}/{total}" in out and f"rebuilt {total} summaries" in out
    assert list(rollups.differences()) == []
    assert not SupportLive.objects.filter(workspace=workspace).exclude(open=0).exists()


@pytest.mark.django_db
def test_rebuild_of_one_workspace_leaves_the_others_alone(workspace, other_workspace):
    """Verifies `rollups rebuild --workspace` touches only that workspace's rows."""
    for each in (workspace, other_workspace):
        services.events_ingest(workspace=each, events=validated(conversation("c1")))
    SupportHourly.objects.filter(agent_id="a1").update(agent_replies=7)
    run("rebuild", "--workspace", workspace.slug)
    rows = SupportHourly.objects.filter(agent_id="a1", agent_replies__gt=0)
    replies = dict(rows.values_list("workspace__slug", "agent_replies"))
    assert replies == {"acme": 1, "globex": 7}
    assert {d.key["workspace_id"] for d in rollups.differences()} == {other_workspace.pk}


@pytest.mark.django_db
def test_unknown_workspace_is_a_command_error(workspace):
    """Verifies --workspace with an unknown slug fails with a clear message."""
    with pytest.raises(CommandError, match="No workspace with slug 'nope'"):
        run("verify", "--workspace", "nope")


@pytest.mark.django_db(transaction=True)
def test_rebuild_while_ingestion_continues_stays_exact():
    """Verifies rebuilds running between concurrent ingest batches leave 0 differences."""
    workspace = Workspace.objects.create(slug="live", name="Live")
    batches = [validated(conversation(f"c{number}", start=number)) for number in range(60)]
    errors: list[BaseException] = []
    done = threading.Event()

    def ingest() -> None:
        try:
            for batch in batches:
                services.events_ingest(workspace=workspace, events=batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()
            connections.close_all()

    writer = threading.Thread(target=ingest)
    writer.start()
    rebuilds = 0
    while not done.is_set() or rebuilds == 0:
        rollups.rebuild(workspace_id=workspace.pk)
        rebuilds += 1
    writer.join()
    assert errors == []
    assert list(rollups.differences()) == []
    assert SupportHourly.objects.filter(workspace=workspace, agent_id="a1").count() > 0
