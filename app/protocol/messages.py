"""Every frame of the wire protocol, as typed structs.

One JSON object per websocket text frame, discriminated by its ``type`` field.
docs/protocol.md is the human-readable contract; this module is its only
implementation, shared by the hub, the desktop client and the tests.
No I/O here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

PROTOCOL_VERSION = 1

OperatorRole = Literal["operator", "supervisor", "admin"]
OperatorStatus = Literal["online", "away", "busy", "offline"]
ConversationStatus = Literal["queued", "open", "resolved"]
Author = Literal["customer", "operator", "system"]
# Where a conversation came from and where its replies leave (docs/architecture.md,
# "Channels"). ``whatsapp`` and ``email`` are reserved for the channels to come, so that a
# client released today already reads their conversations.
Channel = Literal["web", "telegram", "whatsapp", "email"]
CHANNELS: tuple[Channel, ...] = ("web", "telegram", "whatsapp", "email")
ConversationState = Literal["open", "waiting", "snoozed"]
QueueKind = Literal["first", "second"]
QueueStrategy = Literal["round_robin", "least_loaded", "manual"]
SlaKind = Literal["first", "next"]
# personal: its owner's only; team: everyone reads, supervisors and admins edit
TemplateScope = Literal["personal", "team"]


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, omit_defaults=True):
    """Base of every frame. Unknown extra fields are ignored (forward compatibility)."""


# --------------------------------------------------------------------------- payloads


class OperatorInfo(msgspec.Struct, omit_defaults=True):
    id: int
    username: str
    display_name: str
    role: OperatorRole
    status: OperatorStatus = "offline"
    status_since: datetime | None = None
    active_chats: int = 0
    capacity: int = 3


class CustomerInfo(msgspec.Struct, omit_defaults=True):
    id: int
    name: str
    channel: Channel
    first_seen: datetime
    locale: str = ""
    vip: bool = False


class AttachmentInfo(msgspec.Struct, omit_defaults=True):
    """A file kept by the hub, as a message carries it. ``mime`` is what the hub found
    the content to be (never what the sender said); ``width``/``height`` for images.
    Its bytes are fetched over HTTP with a signed URL from ``file_urls``."""

    id: int
    name: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None


class MessageInfo(msgspec.Struct, omit_defaults=True):
    id: int
    conversation_id: int
    author: Author
    text: str
    created_at: datetime
    operator_id: int | None = None
    author_name: str = ""
    txn_id: str | None = None
    # an internal note: shown to operators only, never sent to the customer
    internal: bool = False
    # files sent with the message (older clients ignore them; the text may then be "")
    attachments: list[AttachmentInfo] = []


class ConversationInfo(msgspec.Struct, omit_defaults=True):
    id: int
    customer: CustomerInfo
    channel: Channel
    status: ConversationStatus
    created_at: datetime
    assignee_id: int | None = None
    # When the customer started waiting for an answer (their oldest unanswered
    # message); None when the operator spoke last.
    waiting_since: datetime | None = None
    last_message: MessageInfo | None = None
    # routing v1: the line it belongs to, the pending offer, the work state
    queue_id: int | None = None
    offered_to: int | None = None
    offer_expires_at: datetime | None = None
    state: ConversationState = "open"
    snoozed_until: datetime | None = None
    # the running SLA clock while the customer waits (business hours already counted in)
    sla_kind: SlaKind | None = None
    sla_target_s: int | None = None
    sla_due_at: datetime | None = None


class QueueInfo(msgspec.Struct, omit_defaults=True):
    """A line: ``first`` (new chats land here) or a named ``second`` line."""

    id: int
    name: str
    kind: QueueKind
    strategy: QueueStrategy
    members: list[int] = []
    offer_timeout_s: float = 20.0
    first_response_s: int = 90
    next_response_s: int = 300
    timezone: str = "UTC"
    # {"mon": ["09:00-18:00"], ...}; empty: always open
    hours: dict[str, list[str]] = {}
    open_now: bool = True
    next_open_at: datetime | None = None
    # the web chat's bot first line: offer a public article for a new chat's first message
    bot_first_line: bool = False


class ErrorInfo(msgspec.Struct):
    code: str
    text: str


CustomFieldType = Literal["text", "number", "date"]


class IdentityInfo(msgspec.Struct, omit_defaults=True):
    """One way a channel recognises a customer, as operators may see it: the channel and
    a label (e.g. a Telegram @name); never the secret or hash the hub matches on.
    ``channel`` is a plain string so that an older client reads channels added later.
    ``id`` names the identity in ``conversation_start`` (writing first on that channel)."""

    channel: str
    label: str = ""
    id: int = 0


class CustomFieldDef(msgspec.Struct, omit_defaults=True):
    """An admin-defined field of the customer card (``frontline-hub field add``)."""

    key: str
    label: str
    type: CustomFieldType = "text"


class CustomerProfile(msgspec.Struct, omit_defaults=True):
    """The customer card: everything the hub knows about one customer.

    ``phones`` are E.164 (``+380671234567``), ``emails`` as stored (domain lower-cased),
    ``fields`` maps custom field keys to values (``number``: ``1234.5``, ``date``:
    ``2026-11-23``); only fields with a value are present."""

    id: int
    name: str
    first_seen: datetime
    first_name: str = ""
    last_name: str = ""
    locale: str = ""
    phones: list[str] = []
    emails: list[str] = []
    identities: list[IdentityInfo] = []
    tags: list[str] = []
    vip: bool = False
    notes: str = ""
    fields: dict[str, str] = {}


class CustomerChanges(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False):
    """A partial update of a customer card: fields left out (null / empty) stay as they
    are. Lists change by adding and removing values, so two operators editing the same
    card at once do not undo each other. ``fields``: key -> new value, ``""`` removes it."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    vip: bool | None = None
    notes: str | None = None
    add_phones: list[str] = []
    remove_phones: list[str] = []
    add_emails: list[str] = []
    remove_emails: list[str] = []
    add_tags: list[str] = []
    remove_tags: list[str] = []
    fields: dict[str, str] = {}


MergeChoice = Literal["keep", "merged"]


class MergeChoices(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False):
    """Where two cards being merged differ, which value the kept card takes: ``keep``
    (its own) or ``merged`` (the other card's). ``notes``: also ``both`` (the kept card's
    notes, then the other's). ``vip``: also ``either`` (VIP if one of them is). Phones,
    e-mails, tags, channel identities and conversations are always united. ``fields``:
    custom field key -> choice where both cards have a different value (a value only one
    card has is always kept)."""

    name: MergeChoice = "keep"
    first_name: MergeChoice = "keep"
    last_name: MergeChoice = "keep"
    locale: MergeChoice = "keep"
    notes: Literal["keep", "merged", "both"] = "both"
    vip: Literal["keep", "merged", "either"] = "either"
    fields: dict[str, MergeChoice] = {}


class MergeCandidate(msgspec.Struct, omit_defaults=True):
    """Another customer who may be the same person, and why: ``phone:+380671234567``,
    ``email:olena@example.com``."""

    customer: CustomerProfile
    reasons: list[str] = []


class MergeInfo(msgspec.Struct, omit_defaults=True):
    """A merge of customer ``merged_id`` into ``kept_id``, who made it and when; undone
    when ``undone_at`` is set."""

    id: int
    kept_id: int
    merged_id: int
    operator_id: int
    created_at: datetime
    undone_at: datetime | None = None
    undone_by: int | None = None


# The customer timeline (docs/protocol.md "Customer timeline"). A kind is a plain string so
# that a newer hub may send kinds an older client does not know (it shows them plainly):
# today "conversation", "note" (an internal note in one of the customer's conversations),
# "customer_note" (written on the card) and "merge"; later "call", "callback", "survey".
TIMELINE_KINDS = ("conversation", "note", "customer_note", "merge")
NOTE_MAX_CHARS = 4000


class TimelineCursor(msgspec.Struct, frozen=True):
    """Where a timeline page ends: the last entry's (at, kind, id). Entries are ordered
    newest first by this triple, so the cursor is exact across kinds."""

    at: datetime
    kind: str
    id: int


class TimelineEntry(msgspec.Struct, omit_defaults=True):
    """One entry of a customer's timeline. ``id`` is unique within its ``kind``.
    conversation: ``conversation`` (with its last message). note: ``conversation_id``,
    ``text``, ``author_id``/``author_name``. customer_note: ``text``, author, ``edited_at``.
    merge: ``merge``, ``other_id``/``other_name`` (the other card), ``author_name`` (who)."""

    kind: str
    id: int
    at: datetime
    conversation_id: int | None = None
    conversation: ConversationInfo | None = None
    text: str = ""
    author_id: int | None = None
    author_name: str = ""
    edited_at: datetime | None = None
    merge: MergeInfo | None = None
    other_id: int | None = None
    other_name: str = ""

    @property
    def cursor(self) -> TimelineCursor:
        return TimelineCursor(self.at, self.kind, self.id)


KbLang = Literal["ru", "uk", "en"]
KbVisibility = Literal["internal", "public"]


class KbArticleInfo(msgspec.Struct, omit_defaults=True):
    """A knowledge base article. ``body`` is Markdown; ``visibility``: ``internal``
    (operators only) or ``public`` (customers may see it too)."""

    id: str
    title: str
    body: str
    lang: KbLang
    tags: list[str] = []
    visibility: KbVisibility = "internal"
    updated_at: datetime | None = None
    author: str = ""
    # the page customers open (GET /kb/<id>-<slug>, docs/protocol.md "Public article
    # pages"): set for public articles in kb_get / kb_save results, "" otherwise
    public_url: str = ""


class KbArticleDraft(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False):
    """What ``kb_save`` writes: a new article (``id`` empty: the hub makes one, or a new
    id) or the whole new version of an existing one."""

    title: str
    body: str
    lang: KbLang
    id: str = ""
    tags: list[str] = []
    visibility: KbVisibility = "internal"


class KbHit(msgspec.Struct, omit_defaults=True):
    """One search result: ``snippet`` is plain text (about 200 characters around the best
    match); ``highlights`` / ``title_highlights`` are [start, end) character offsets of
    the matched words in the snippet / title."""

    id: str
    title: str
    lang: KbLang
    score: float
    snippet: str
    highlights: list[tuple[int, int]] = []
    title_highlights: list[tuple[int, int]] = []
    visibility: KbVisibility = "internal"
    tags: list[str] = []
    # a public article's page (absolute URL with the hub's public address), "" for internal ones
    public_url: str = ""


class TemplateInfo(msgspec.Struct, omit_defaults=True):
    """An answer template, typed as ``/shortcode`` in the composer (docs/protocol.md,
    "Answer templates"). ``owner_id`` is set for personal ones. ``files``: the hub files
    it sends along (inserting it adds them to the reply). ``attachments`` is an unused
    legacy field (always empty; a list of strings older clients expect)."""

    id: int
    shortcode: str
    title: str
    body: str
    scope: TemplateScope
    updated_at: datetime
    category: str = ""
    language: str = ""
    owner_id: int | None = None
    updated_by: int | None = None
    attachments: list[str] = []
    files: list[AttachmentInfo] = []


class TemplateDraft(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False):
    """What ``template_save`` writes: a new template (``id`` null) or the whole new
    version of one (its scope cannot change)."""

    shortcode: str
    title: str
    body: str
    scope: TemplateScope = "personal"
    category: str = ""
    language: str = ""
    id: int | None = None
    # ids of hub files (file_upload_end) the template sends along, in order: files the
    # saver uploaded, or ones the template already has
    files: list[int] = []


class WaTemplateInfo(msgspec.Struct, omit_defaults=True):
    """An approved WhatsApp message template an operator may send (docs/protocol.md,
    "WhatsApp templates"): ``body`` with its ``{{1}}`` … placeholders, ``params`` how many
    values it takes; ``header`` / ``footer`` plain text shown with it."""

    name: str
    language: str
    category: str = ""
    body: str = ""
    params: int = 0
    header: str = ""
    footer: str = ""


class WaTemplateChoice(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=False):
    """A template to send (``send_message`` / ``conversation_start`` with ``template``):
    its name, language code and the values of ``{{1}}`` … in order."""

    name: str
    language: str
    params: list[str] = []


# --------------------------------------------------------------------------- both endpoints


class Hello(_Frame, tag="hello"):
    """First frame of an operator client (the web widget sends CustomerHello)."""

    protocol: int
    client: str = ""
    device_id: str = ""


class Welcome(_Frame, tag="welcome"):
    protocol: int
    hub_version: str
    epoch: str
    max_frame_bytes: int
    heartbeat_s: float


class Result(_Frame, tag="result"):
    """Success answer to a command; ``data`` depends on the command (see docs)."""

    txn_id: str
    data: dict[str, object] = {}


class Error(_Frame, tag="error"):
    """Failure answer to a command (with its txn_id) or to a bad frame (txn_id null)."""

    code: str
    text: str
    txn_id: str | None = None


# --------------------------------------------------------------------------- operator commands


class Auth(_Frame, tag="auth"):
    """Password login (username+password) or resume of a stored session (token)."""

    txn_id: str
    username: str = ""
    password: str = ""
    token: str = ""


class SignOut(_Frame, tag="sign_out"):
    txn_id: str


class Sync(_Frame, tag="sync"):
    """Ask for the current state: open conversations (mine + queue) and the team.
    With ``last_seq`` and the ``epoch`` it belongs to, the hub may answer with the
    missed events instead (``recovered: true``, docs/protocol.md "Resume")."""

    txn_id: str
    last_seq: int | None = None
    epoch: str = ""


class SyncPage(_Frame, tag="sync_page"):
    """The next page of the team inbox after a full-state ``sync`` whose result said
    ``more_after`` (docs/protocol.md "sync"): active conversations with ``id > after_id``."""

    txn_id: str
    after_id: int


class Ack(_Frame, tag="ack"):
    """Cumulative acknowledgement of must-deliver events: "I have applied every event
    sent to me up to ``seq``". No txn_id and no answer: it is idempotent."""

    seq: int


class History(_Frame, tag="history"):
    txn_id: str
    conversation_id: int
    before_id: int | None = None
    limit: int = 50


class SendMessage(_Frame, tag="send_message"):
    """A reply to the customer, or with ``internal`` an operator-only note."""

    txn_id: str
    conversation_id: int
    text: str
    internal: bool = False
    # ids of files this operator uploaded (file_upload_end); the text may be "" with files
    attachments: list[int] = []
    # WhatsApp: send an approved template instead of free text (the text is ignored: the
    # hub stores the rendered template); docs/protocol.md "WhatsApp templates"
    template: WaTemplateChoice | None = None


class Take(_Frame, tag="take"):
    txn_id: str
    conversation_id: int


class Resolve(_Frame, tag="resolve"):
    txn_id: str
    conversation_id: int


class SetStatus(_Frame, tag="set_status"):
    txn_id: str
    status: OperatorStatus


class AcceptOffer(_Frame, tag="accept_offer"):
    txn_id: str
    conversation_id: int


class DeclineOffer(_Frame, tag="decline_offer"):
    txn_id: str
    conversation_id: int


class Transfer(_Frame, tag="transfer"):
    """Hand a conversation to an operator or to a line, with an internal note."""

    txn_id: str
    conversation_id: int
    operator_id: int | None = None
    queue_id: int | None = None
    note: str = ""


class SetState(_Frame, tag="set_state"):
    """open / waiting (for the customer) / snoozed (until ``snoozed_until``)."""

    txn_id: str
    conversation_id: int
    state: ConversationState
    snoozed_until: datetime | None = None


class Typing(_Frame, tag="typing"):
    """Ephemeral, no txn_id and no answer: the operator is typing in a conversation."""

    conversation_id: int
    typing: bool = True


class Viewing(_Frame, tag="viewing"):
    """Ephemeral, no txn_id and no answer: the conversation the operator has open (null: none)."""

    conversation_id: int | None = None


class CustomerGet(_Frame, tag="customer_get"):
    """Read a customer card; the result also lists the custom field definitions."""

    txn_id: str
    customer_id: int


class CustomerUpdate(_Frame, tag="customer_update"):
    """Change a customer card (partial). Every value is checked before anything is
    written: one bad value refuses the whole update. ``region`` (ISO country code, e.g.
    ``UA``) reads phone numbers written without a country code; by default the
    customer's locale decides. A retry with the same txn_id changes nothing again."""

    txn_id: str
    customer_id: int
    changes: CustomerChanges
    region: str = ""


class CustomerSearch(_Frame, tag="customer_search"):
    """Find customers by name (substring, any case), phone (any format; also the
    trailing digits), e-mail or custom field value; exact matches first."""

    txn_id: str
    query: str
    limit: int = 20
    region: str = ""


class CustomerConversations(_Frame, tag="customer_conversations"):
    """A page of one customer's conversations (queued, open and resolved), newest first
    (by start time, then id). ``before_id``: the last conversation of the previous page.
    ``limit`` is clamped to 1..50. The result: ``conversations`` and ``has_more``."""

    txn_id: str
    customer_id: int
    before_id: int | None = None
    limit: int = 20


class CustomerTimeline(_Frame, tag="customer_timeline"):
    """A page of one customer's timeline: entries of every kind (or of ``kinds`` only),
    newest first by (at, kind, id). ``before``: the cursor of the previous page's last
    entry (keyset paging: no entry is skipped or repeated when new ones arrive between
    pages). ``limit`` is clamped to 1..50. The result: ``entries`` and ``has_more``."""

    txn_id: str
    customer_id: int
    before: TimelineCursor | None = None
    limit: int = 20
    kinds: list[str] = []


class CustomerNoteSave(_Frame, tag="customer_note_save"):
    """Add a note to the customer card (``note_id`` null) or change one (its author, a
    supervisor or an admin). The result: ``entry`` (a ``customer_note`` TimelineEntry).
    A retried add with the same txn_id stores it once."""

    txn_id: str
    customer_id: int
    text: str
    note_id: int | None = None


class CustomerMergeCandidates(_Frame, tag="customer_merge_candidates"):
    """Customers who share a phone number or an e-mail address with this one. The
    result: ``candidates`` (MergeCandidate list, most reasons first)."""

    txn_id: str
    customer_id: int


class CustomerMerge(_Frame, tag="customer_merge"):
    """Merge customer ``merge_id`` into ``keep_id``: one person, one card, every channel
    and conversation on it. The result: ``merge`` (MergeInfo) and ``customer`` (the kept
    card). A retry with the same txn_id returns the same merge."""

    txn_id: str
    keep_id: int
    merge_id: int
    choices: MergeChoices = msgspec.field(default_factory=MergeChoices)


class CustomerUnmerge(_Frame, tag="customer_unmerge"):
    """Undo merge ``merge_id``: both cards as they were (later edits of the kept card
    stay), the moved conversations and channel identities back on the other card. The
    result: ``merge`` (undone), ``kept`` and ``restored`` (the two cards)."""

    txn_id: str
    merge_id: int


class ConversationStart(_Frame, tag="conversation_start"):
    """Write first to a customer on one of their channels (Telegram, WhatsApp): a new
    conversation on ``channel``, open and assigned to the sender, whose first message is
    ``text``; it leaves through that channel like any reply. ``identity_id``: which of the
    customer's identities on that channel (``IdentityInfo.id``; 0: their only one). The
    result: ``conversation`` and ``message``. Refused with ``not_found`` (no such customer,
    or no identity on that channel), ``conflict`` (already an active conversation there:
    write in it) or ``channel_unavailable`` (the channel is not configured or is down).
    A retry with the same txn_id returns what the first made."""

    txn_id: str
    customer_id: int
    channel: str
    text: str
    identity_id: int = 0
    # WhatsApp: open with an approved template (``text`` is ignored); without one a
    # customer whose 24-hour window is closed is refused with ``window_closed``
    template: WaTemplateChoice | None = None


# --------------------------------------------------------------------------- files (both endpoints)


class FileUploadBegin(_Frame, tag="file_upload_begin"):
    """Start (or, with the same txn_id, resume) an upload of ``size`` bytes. The result:
    ``upload_id``, ``offset`` (bytes the hub already has: 0, or where to go on after a
    cut) and ``chunk_bytes`` (the largest chunk the hub takes). Refused at once when the
    size is over the limit (file_too_big)."""

    txn_id: str
    name: str
    size: int
    mime: str = ""


class FileUploadChunk(_Frame, tag="file_upload_chunk"):
    """``data`` (base64) are the bytes at ``offset``. The result: the new ``offset``. A
    chunk the hub already has (a retry) is acknowledged and not written twice; one past
    the hub's offset is refused with upload_offset (the text names the offset). The
    first chunk is type-checked at once (file_type_not_allowed)."""

    txn_id: str
    upload_id: str
    offset: int
    data: str


class FileUploadEnd(_Frame, tag="file_upload_end"):
    """All bytes are sent: the hub checks the whole file and keeps it. The result:
    ``file`` (AttachmentInfo), to be sent with ``send_message`` / ``customer_send``.
    A retry answers the same file."""

    txn_id: str
    upload_id: str


class FileUploadCancel(_Frame, tag="file_upload_cancel"):
    """Drop an unfinished upload (its bytes are deleted). The result is empty."""

    txn_id: str
    upload_id: str


class FileUrls(_Frame, tag="file_urls"):
    """Signed download URLs of files the sender may read (an operator: any file attached
    to a message, or one they uploaded; a visitor: files of their own conversation, or
    ones they uploaded). The result: ``urls`` (file id as a string -> path and query,
    relative to the hub's HTTP address) and ``expires_at``. Files the sender may not read
    are left out."""

    txn_id: str
    file_ids: list[int]


class KbSearch(_Frame, tag="kb_search"):
    """Search the knowledge base. ``lang``: the language wanted (default: the query's);
    Ukrainian also finds Russian articles (and Russian Ukrainian ones) ranked below the
    same-language answers unless ``fallback`` is false. ``tags``: all of them. ``limit``
    is clamped to 1..50. On the customer endpoint only public articles are searched.
    The result: ``hits`` (KbHit list, best first)."""

    txn_id: str
    query: str
    lang: str = ""
    tags: list[str] = []
    limit: int = 10
    visibility: str = ""
    fallback: bool = True


class KbGet(_Frame, tag="kb_get"):
    """One article (``article``); ``not_found`` for an unknown id (and, for customers,
    for an internal one)."""

    txn_id: str
    article_id: str


class KbSave(_Frame, tag="kb_save"):
    """Create or replace an article (supervisors and admins). The result: ``article``
    and ``created``. A retry with the same txn_id returns the first answer."""

    txn_id: str
    article: KbArticleDraft


class KbDelete(_Frame, tag="kb_delete"):
    """Delete an article (supervisors and admins). The result: ``deleted`` (false: there
    was no such article)."""

    txn_id: str
    article_id: str


class KbSynonymsGet(_Frame, tag="kb_synonyms_get"):
    """The synonym groups (``groups``: lists of words or phrases)."""

    txn_id: str


class KbSynonymsSet(_Frame, tag="kb_synonyms_set"):
    """Replace all synonym groups (supervisors and admins). The result: ``groups`` as
    stored (trimmed, without empty entries and groups of fewer than two)."""

    txn_id: str
    groups: list[list[str]]


class TemplateList(_Frame, tag="template_list"):
    """The templates this operator may use: the team's and their own personal ones.
    The result: ``templates`` (TemplateInfo list, by category, then shortcode)."""

    txn_id: str


class TemplateSave(_Frame, tag="template_save"):
    """Create or change a template. Personal ones: their owner only; team ones:
    supervisors and admins. The result: ``template``. A retry with the same txn_id
    returns the same template and writes nothing again."""

    txn_id: str
    template: TemplateDraft


class TemplateDelete(_Frame, tag="template_delete"):
    """Delete a template (same permissions as saving it). The result: ``template``
    (as it was). A retry with the same txn_id answers the same."""

    txn_id: str
    template_id: int


class WaTemplateList(_Frame, tag="wa_template_list"):
    """The approved templates of a WhatsApp channel (docs/protocol.md, "WhatsApp
    templates"), as the hub last fetched them from Meta; ``refresh``: fetch them now
    first. The result: ``templates`` (WaTemplateInfo list, by name), ``fetched_at``
    (null: never fetched) and ``error`` (why the last fetch failed; the list is then the
    one stored before)."""

    txn_id: str
    channel: str = "whatsapp"
    refresh: bool = False


class ConversationWindow(_Frame, tag="conversation_window"):
    """Whether free text reaches the customer of a conversation now. The result:
    ``applies`` (false: the channel has no such window, e.g. the web chat), ``open``,
    ``last_customer_at`` and ``closes_at`` (null when the customer never wrote)."""

    txn_id: str
    conversation_id: int


# --------------------------------------------------------------------------- operator events


class ConversationUpdated(_Frame, tag="conversation_updated"):
    seq: int
    conversation: ConversationInfo
    # True on a must-deliver event for this recipient: answer with ``ack``.
    must_ack: bool = False


class MessageCreated(_Frame, tag="message_created"):
    seq: int
    message: MessageInfo
    must_ack: bool = False
    # The conversation as this message left it, when the message changed its work state
    # or waiting clock (a customer writing again, an operator answering): one event
    # instead of a message and a conversation_updated. Its ``last_message`` is left out
    # (it is ``message``). Assignment and status changes still come as
    # conversation_updated, which every operator receives.
    conversation: ConversationInfo | None = None


class OperatorUpdated(_Frame, tag="operator_updated"):
    seq: int
    operator: OperatorInfo
    must_ack: bool = False


class ConversationOffered(_Frame, tag="conversation_offered"):
    """A conversation is offered to ``operator_id`` until ``expires_at`` (must-deliver)."""

    seq: int
    operator_id: int
    expires_at: datetime
    conversation: ConversationInfo
    must_ack: bool = False


class OfferExpired(_Frame, tag="offer_expired"):
    """``operator_id`` let an offer run out and was set to ``away``."""

    seq: int
    operator_id: int
    conversation_id: int
    must_ack: bool = False


class SlaBreached(_Frame, tag="sla_breached"):
    seq: int
    conversation_id: int
    kind: SlaKind
    due_at: datetime
    queue_id: int | None = None
    must_ack: bool = False


class QueuesUpdated(_Frame, tag="queues_updated"):
    seq: int
    queues: list[QueueInfo]
    must_ack: bool = False


class TypingEvent(_Frame, tag="typing_event"):
    """Ephemeral (no seq, may be shed): someone is typing in a conversation."""

    conversation_id: int
    who: Literal["customer", "operator"]
    typing: bool
    operator_id: int | None = None
    name: str = ""


class ViewingEvent(_Frame, tag="viewing_event"):
    """Ephemeral (no seq, may be shed): the operators who have the conversation open."""

    conversation_id: int
    operator_ids: list[int] = []


class CustomerUpdated(_Frame, tag="customer_updated"):
    """A customer card changed (``customer_update``); the whole new card."""

    seq: int
    customer: CustomerProfile
    must_ack: bool = False


class TimelineEntrySaved(_Frame, tag="timeline_entry_saved"):
    """An entry of a customer's timeline that no other event carries was added or
    changed (today: a note on the card). Later kinds (calls, callbacks) use it too."""

    seq: int
    customer_id: int
    entry: TimelineEntry
    must_ack: bool = False


class MergeProposed(_Frame, tag="merge_proposed"):
    """A card just got a phone number or e-mail address another customer has: they may
    be one person. Operators may merge them (``customer_merge``) or leave them apart."""

    seq: int
    customer_id: int
    candidate_id: int
    reasons: list[str] = []
    must_ack: bool = False


class CustomersMerged(_Frame, tag="customers_merged"):
    """A merge was made (``merged`` is null: that card is gone, its customer is ``kept``),
    or undone (``merge.undone_at`` set; ``merged`` is the restored card)."""

    seq: int
    merge: MergeInfo
    kept: CustomerProfile
    merged: CustomerProfile | None = None
    must_ack: bool = False


class KbArticleUpdated(_Frame, tag="kb_article_updated"):
    """A knowledge base article was created or changed (``kb_save``, or an import on the
    hub machine): the whole new article."""

    seq: int
    article: KbArticleInfo
    must_ack: bool = False


class KbArticleDeleted(_Frame, tag="kb_article_deleted"):
    seq: int
    article_id: str
    must_ack: bool = False


class TemplateUpdated(_Frame, tag="template_updated"):
    """A template was saved (``deleted`` false: its new version) or deleted. Sent to
    the operators who can see it: a personal one to its owner only."""

    seq: int
    template: TemplateInfo
    deleted: bool = False
    must_ack: bool = False


# --------------------------------------------------------------------------- customer (web chat)


class CustomerHello(_Frame, tag="customer_hello"):
    """First frame of the web widget. ``visitor_token`` is the secret the hub gave
    this browser earlier (kept in localStorage); empty for a first visit."""

    protocol: int
    visitor_token: str = ""
    name: str = ""
    locale: str = ""


class CustomerWelcome(_Frame, tag="customer_welcome"):
    protocol: int
    visitor_token: str
    customer_name: str
    conversation_id: int | None = None
    messages: list[MessageInfo] = []
    # business hours of the first line: outside them the widget says when the team is back
    team_open: bool = True
    back_at: datetime | None = None
    # the bot's offer the visitor has not answered yet (shown again after a reload)
    bot_suggestion: BotSuggestion | None = None


class BotSuggestion(_Frame, tag="bot_suggestion"):
    """The bot first line (hub -> widget, docs/protocol.md "Bot first line"): a public
    article that answers the conversation's first message. ``text`` is the article as
    plain text (at most about 1500 characters, ``truncated`` when cut). The widget shows
    it with "This helped" / "Talk to a person" and answers with ``bot_feedback``."""

    conversation_id: int
    article_id: str
    title: str
    text: str
    lang: str
    truncated: bool = False


class BotFeedback(_Frame, tag="bot_feedback"):
    """The visitor's answer to the bot's offer: ``helped`` true resolves the conversation
    as answered by the bot; false hands it to the team (it stays queued/open). Answers
    ``{"outcome": "helped" | "handed_over"}``; ``not_found`` when there is no unanswered
    offer in the visitor's conversation."""

    txn_id: str
    helped: bool


class CustomerSend(_Frame, tag="customer_send"):
    txn_id: str
    text: str
    # ids of files this visitor uploaded (file_upload_end); the text may be "" with files
    attachments: list[int] = []


class CustomerHistory(_Frame, tag="customer_history"):
    """Earlier messages of the visitor's conversation (the welcome holds the latest
    200): the page before ``before_id``, oldest first. Changes nothing; the txn_id only
    pairs the result."""

    txn_id: str
    before_id: int | None = None
    limit: int = 50


class CustomerTyping(_Frame, tag="customer_typing"):
    """Ephemeral, no txn_id and no answer: the visitor is (not) typing."""

    typing: bool = True


class OperatorTyping(_Frame, tag="operator_typing"):
    """Ephemeral (to the customer): an operator is (not) typing; no operator identity."""

    typing: bool


OperatorCommand = (
    Auth
    | SignOut
    | Sync
    | SyncPage
    | History
    | SendMessage
    | Take
    | Resolve
    | SetStatus
    | AcceptOffer
    | DeclineOffer
    | Transfer
    | SetState
    | CustomerGet
    | CustomerUpdate
    | CustomerSearch
    | CustomerConversations
    | CustomerTimeline
    | CustomerNoteSave
    | CustomerMergeCandidates
    | CustomerMerge
    | CustomerUnmerge
    | ConversationStart
    | FileUploadBegin
    | FileUploadChunk
    | FileUploadEnd
    | FileUploadCancel
    | FileUrls
    | TemplateList
    | TemplateSave
    | TemplateDelete
    | KbSearch
    | KbGet
    | KbSave
    | KbDelete
    | KbSynonymsGet
    | KbSynonymsSet
    | WaTemplateList
    | ConversationWindow
)
# Frames an operator sends that are not commands (no txn_id, no answer): the cumulative
# ack of must-deliver events, and the ephemeral typing/viewing signals.
OperatorNotice = Ack | Typing | Viewing
OperatorEvent = (
    ConversationUpdated
    | MessageCreated
    | OperatorUpdated
    | ConversationOffered
    | OfferExpired
    | SlaBreached
    | QueuesUpdated
    | CustomerUpdated
    | TimelineEntrySaved
    | MergeProposed
    | CustomersMerged
    | TemplateUpdated
    | KbArticleUpdated
    | KbArticleDeleted
)
FileCommand = FileUploadBegin | FileUploadChunk | FileUploadEnd | FileUploadCancel | FileUrls
CustomerCommand = CustomerSend | CustomerHistory | FileCommand | KbSearch | KbGet | BotFeedback

# What a hub reads on each endpoint, and what a client reads back.
OperatorInbound = Hello | OperatorCommand | OperatorNotice
OperatorOutbound = Welcome | Result | Error | OperatorEvent | TypingEvent | ViewingEvent
CustomerInbound = CustomerHello | CustomerCommand | CustomerTyping
CustomerOutbound = CustomerWelcome | Result | Error | MessageCreated | OperatorTyping | BotSuggestion

MAX_TEXT_CHARS = 8000
# What a client may send (the hub closes with 1009 past it).
MAX_FRAME_BYTES = 128 * 1024
# What the hub may send an operator client: a full sync of a big team inbox is one frame
# (about 600 bytes a conversation: 5,000 active conversations are ~3 MiB), so clients
# accept far more from the hub than the hub accepts from them.
MAX_HUB_FRAME_BYTES = 32 * 1024 * 1024
