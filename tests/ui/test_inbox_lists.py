""""Mine" and "Queue" over the team inbox: after any mix of syncs, new, changed, moved
and resolved conversations each list holds exactly its conversations in the inbox order
(least SLA time left first, ...), the selected conversation stays selected when its row
moves, and Qt's model checker finds no inconsistent signal."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from PySide6.QtTest import QAbstractItemModelTester

from app.protocol.messages import ConversationInfo, CustomerInfo
from ui.models.inbox import ConversationRole, InboxFilter, InboxModel, sort_key
from ui.widgets.inbox import InboxView

ME = 7
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def conv(cid: int, rnd: random.Random) -> ConversationInfo:
    status = rnd.choice(["queued", "open", "open", "resolved"])
    waiting = T0 + timedelta(seconds=rnd.randrange(0, 50)) if rnd.random() < 0.6 else None
    return ConversationInfo(
        id=cid,
        customer=CustomerInfo(id=cid, name=f"Customer {cid}", channel="web", first_seen=T0, vip=rnd.random() < 0.2),
        channel="web",
        status=status,  # type: ignore[arg-type]
        created_at=T0 + timedelta(seconds=rnd.randrange(0, 50)),
        assignee_id=rnd.choice([ME, 8]) if status == "open" else None,
        waiting_since=waiting,
    )


def shown(model: InboxFilter) -> list[int]:
    return [model.index(r, 0).data(ConversationRole).id for r in range(model.rowCount())]


def expected(convs: dict[int, ConversationInfo], kind: str) -> list[int]:
    def accepted(c: ConversationInfo) -> bool:
        return c.status == "queued" if kind == "queue" else (c.status == "open" and c.assignee_id == ME)

    return [c.id for c in sorted((c for c in convs.values() if accepted(c)), key=lambda c: (sort_key(c), c.id))]


def test_mine_and_queue_follow_every_change_in_order(qapp) -> None:
    rnd = random.Random(4)
    inbox = InboxModel()
    lists = {kind: InboxFilter(kind) for kind in ("mine", "queue")}
    testers = []
    for m in lists.values():
        m.setSourceModel(inbox)
        m.set_me(ME)
        testers.append(QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal))
    truth = {i: conv(i, rnd) for i in range(1, 60)}
    inbox.reset(list(truth.values()))
    for kind, m in lists.items():
        truth_active = {i: c for i, c in truth.items() if c.status != "resolved"}
        assert shown(m) == expected(truth_active, kind)
    for step in range(600):
        cid = rnd.randrange(1, 80)  # some new, most known
        c = conv(cid, rnd)
        inbox.upsert(c)
        if c.status == "resolved":
            truth.pop(cid, None)
        else:
            truth[cid] = c
        if step % 150 == 149:  # a sync now and then
            inbox.reset(list(truth.values()))
        for kind, m in lists.items():
            assert shown(m) == expected(truth, kind), f"{kind} after step {step}"
            for row, cid_ in enumerate(shown(m)):
                assert m.row_of(cid_) == row


def test_the_selected_conversation_stays_selected_when_its_row_moves(qapp) -> None:
    rnd = random.Random(1)
    inbox = InboxModel()
    queue = InboxFilter("queue")
    queue.setSourceModel(inbox)
    convs = []
    for i in range(1, 6):
        c = conv(i, rnd)
        convs.append(ConversationInfo(**{**{f: getattr(c, f) for f in c.__struct_fields__},
                                         "status": "queued", "assignee_id": None,
                                         "waiting_since": T0 + timedelta(seconds=i)}))
    inbox.reset(convs)
    view = InboxView("")
    view.setModel(queue)
    view.setCurrentIndex(queue.index(4, 0))  # the one waiting shortest, at the bottom
    assert view.currentIndex().data(ConversationRole).id == 5
    # it now waits longest of all: it moves to the top, still the selected one
    moved = ConversationInfo(**{**{f: getattr(convs[4], f) for f in convs[4].__struct_fields__},
                                "waiting_since": T0 - timedelta(minutes=5)})
    inbox.upsert(moved)
    assert shown(queue)[0] == 5
    assert view.currentIndex().row() == 0
    assert [i.data(ConversationRole).id for i in view.selectionModel().selectedIndexes()] == [5]
