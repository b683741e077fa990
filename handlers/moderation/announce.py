"""/announce: a moderator writes a "you said, we did" update for a survey's subscribers.

Three steps, so nothing goes out by accident: ``/announce <id>``, then the moderator's next
message is the text, then a confirmation button queues it in the persistent outbox
(:mod:`bot.delivery` delivers it). The draft is the moderator's session dialog
(:class:`bot.sessions.AnnouncementDraft`), in memory only; ``/cancel`` drops it.

Before sending, "Add a translation" lets the moderator write the same update in another
of the bot's languages; each subscriber then gets the text of their language
(``bot.recommendation_updates.pick_translation``), or the first text when there is none.
"""

from __future__ import annotations

import itertools

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext, Translator
from bot.delivery import deliver_soon
from bot.moderation_access import AccessDenied, Permission, require
from bot.sessions import AnnouncementDraft
from handlers.moderation.access import REFUSAL, ModeratorCommand, audit, moderator_only
from handlers.shared.button_data import Announce
from handlers.shared.buttons import button_data, pressed, refuse_button
from handlers.shared.localized import language_name
from handlers.shared.router import Router, cancel_saying
from surveys.messages import N_

__all__ = ["MAX_ANNOUNCEMENT", "announce", "on_cancel", "on_text", "register"]

#: Telegram's message limit, minus room for the heading subscribers see.
MAX_ANNOUNCEMENT = 3500

#: Numbers the drafts, so a "Send" button of an older draft cannot send a newer text.
_numbers = itertools.count(1)


@moderator_only(Permission.MANAGE_SURVEYS)
async def announce(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/announce <id>: ask for the update text."""
    user_id, chat_id, tr = command.user_id, command.chat_id, command.tr
    _ = tr.gettext
    if not context.args or len(context.args) != 1:
        await context.bot.send_message(chat_id, _("Usage: /announce <survey id>"))
        return
    survey_id = context.args[0]
    storage = context.services.storage
    if not await storage.surveys.versions(survey_id):
        await context.bot.send_message(chat_id, _("There is no survey with the id {id}.").format(
            id=survey_id))
        return
    subscribers = await storage.subscriptions.count(survey_id)
    context.services.session(user_id).open(AnnouncementDraft(survey_id, next(_numbers)))
    await context.bot.send_message(
        chat_id,
        _("{count} people asked for updates about {id}. Write the update now as one message "
          "(what was taken up, what happens next). You will see it before it is sent. "
          "/cancel stops.").format(count=subscribers, id=survey_id))


async def _may_announce(context: BotContext, user_id: int) -> bool:
    """Whether the moderator still has a role that announces (it may have changed meanwhile)."""
    try:
        await require(context.services, user_id, Permission.MANAGE_SURVEYS)
    except AccessDenied:
        return False
    return True


async def on_text(update: Update, context: BotContext) -> None:
    """The moderator's message after /announce becomes the draft (announcement-draft owner).

    Once the text is written, the buttons under the preview decide; a moderator who lost
    the role meanwhile loses the draft.
    """
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    draft = context.services.dialog(user.id, AnnouncementDraft)
    if draft is None:
        return
    if not await _may_announce(context, user.id):
        context.services.session(user.id).close()
        return
    tr = await context.translator(update)
    _ = tr.gettext
    if draft.body is not None and draft.translating is None:
        await message.reply_text(_("Please use the buttons above first."))
        return
    text = message.text.strip()
    if not text or len(text) > MAX_ANNOUNCEMENT:
        await message.reply_text(_("Please keep the update under {limit} characters.").format(
            limit=MAX_ANNOUNCEMENT))
        return
    if draft.translating is not None:
        draft.texts[draft.translating] = text
        draft.translating = None
    else:
        draft.body = text
    await _preview(context, message.chat_id, user.id, tr, draft)


async def _preview(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                   draft: AnnouncementDraft) -> None:
    """The draft as subscribers will read it (plain text), with Send / translate / Cancel."""
    _ = tr.gettext
    subscribers = await context.services.storage.subscriptions.count(draft.survey_id)

    def button(label: str, record: Announce) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=button_data(context.services, user_id,
                                                                     record))

    keyboard = InlineKeyboardMarkup([
        [button(_("Send to {count}").format(count=subscribers), Announce.of(True, draft.number)),
         button(_("Cancel"), Announce.of(False, draft.number))],
        [button(_("Add a translation"), Announce.translation(draft.number))],
    ])
    parts = [_("Preview of the update about {id}:").format(id=draft.survey_id), draft.body or ""]
    for language, text in sorted(draft.texts.items()):
        parts.append(f"[{language_name(language)}]\n{text}")
    if draft.texts:
        parts.append(_("Subscribers who read none of these languages get the first text."))
    await context.bot.send_message(chat_id, "\n\n".join(parts), reply_markup=keyboard)


async def on_button(update: Update, context: BotContext) -> None:
    """Send or drop the draft."""
    press = await pressed(update, context, Announce)
    if press is None:
        return
    query, button, tr = press
    _ = tr.gettext
    user_id = press.user_id
    draft = context.services.dialog(user_id, AnnouncementDraft)
    if draft is None or draft.body is None or button.number != draft.number:
        await refuse_button(query, tr)
        return
    if not await _may_announce(context, user_id):
        context.services.session(user_id).close()
        await query.answer(_(REFUSAL))
        return
    if not (button.send or button.drop):
        await query.answer()
        await _translation_step(context, query.from_user.id, tr, draft, button.language)
        return
    survey_id, body, texts = draft.survey_id, draft.body, dict(draft.texts)
    context.services.session(user_id).close()
    await query.edit_message_reply_markup(reply_markup=None)
    if not button.send:
        await query.answer(_("Not sent."))
        return
    announcement = await context.services.storage.outbox.announce(survey_id, body, texts)
    await audit(context, user_id, "announce", survey_id=survey_id,
                announcement=announcement.announcement_id, recipients=announcement.recipients,
                languages=sorted(texts))
    await query.answer(_("Queued."))
    await context.bot.send_message(
        user_id, _("The update is queued for {count} subscribers and goes out over the next "
                   "minutes.").format(count=announcement.recipients))
    deliver_soon(context.application)


async def _translation_step(context: BotContext, user_id: int, tr: Translator,
                            draft: AnnouncementDraft, language: str | None) -> None:
    """"Add a translation": offer the bot's languages; a language: ask for its text."""
    _ = tr.gettext
    languages = context.services.translations.languages
    if language is None:
        keyboard = InlineKeyboardMarkup([
            [InlineKeyboardButton(language_name(code), callback_data=button_data(
                context.services, user_id, Announce.translation(draft.number, code)))]
            for code in languages])
        await context.bot.send_message(user_id, _("Which language is the translation in?"),
                                       reply_markup=keyboard)
        return
    if language not in languages:
        return
    draft.translating = language
    await context.bot.send_message(user_id, _(
        "Write the update in {language} as one message.").format(
            language=language_name(language)))


#: /cancel while writing an update: the draft is dropped.
on_cancel = cancel_saying(N_("The update was not sent."))


def register(router: Router) -> None:
    """The confirmation buttons; /announce itself is a moderator command of handlers.moderation.surveys."""
    router.own_buttons(Announce, on_button)
