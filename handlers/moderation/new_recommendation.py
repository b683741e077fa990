"""Typing a recommendation in the chat: "New recommendation" and "Add a translation".

From a survey's list in /recs a moderator types the title, then the text (or "skip"),
in the language the bot speaks with them; the recommendation is stored, linked to that
survey and audited, by ``bot.recommendations.add_recommendation`` (the same rules and audit
entry as ``consultbot recs add``). "Add a translation" on a recommendation asks for the
same two messages in a language the moderator picks (``bot.recommendation_texts.translate``).
Until the text arrives only the :class:`bot.sessions.RecommendationDraft` in memory holds
the title, so ``/cancel`` (or the session expiring) stores nothing.
``handlers.moderation.recs`` owns the input mode and checks the role before handing a
typed message here.
"""

from __future__ import annotations

from telegram import Message

from bot.context import BotContext, Translator
from bot.delivery import survey_title
from bot.recommendation_texts import new_recommendation_id, translate
from bot.recommendation_updates import localized
from bot.recommendations import RecommendationError, add_recommendation
from bot.sessions import RecommendationDraft
from handlers.shared.localized import isolate, language_name
from storage.audit import moderator_actor
from storage.recommendations import Recommendation
from surveys.model import Text

__all__ = ["BODY_LIMIT", "TITLE_LIMIT", "ask_title", "ask_translation", "on_text"]

#: Characters of a title: it is shown on buttons and in every status update.
TITLE_LIMIT = 200
#: Characters of the text: one chat message with room for the status lines.
BODY_LIMIT = 3000

#: Answers that leave the text empty, besides the translated "skip".
_SKIP = frozenset({"skip", "-"})


async def ask_title(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                    survey_id: str) -> None:
    """Open the draft and ask for the title."""
    context.services.session(user_id).open(RecommendationDraft(survey_id, tr.language))
    title = await survey_title(context.services, survey_id, tr.language)
    await context.bot.send_message(chat_id, tr.gettext(
        "New recommendation from “{survey}”: send its title, in the language you read "
        "here. /cancel stops and stores nothing.").format(survey=isolate(title, tr.language)))


async def ask_translation(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                          rec: Recommendation, language: str) -> None:
    """Open a draft translating ``rec`` into ``language`` and ask for the title."""
    context.services.session(user_id).open(
        RecommendationDraft(rec.survey_id, language, recommendation_id=rec.recommendation_id))
    await context.bot.send_message(chat_id, tr.gettext(
        "Send the title of “{title}” in {language}. /cancel stops and stores nothing.")
        .format(title=isolate(localized(rec.title, tr.language), tr.language),
                language=language_name(language)))


async def on_text(message: Message, context: BotContext, user_id: int, tr: Translator,
                  draft: RecommendationDraft) -> Recommendation | None:
    """Take the typed title or text; returns the recommendation once it is stored.

    The caller has checked the moderator's role and closes the session when a
    recommendation comes back.
    """
    _ = tr.gettext
    typed = (message.text or "").strip()
    if draft.title is None:
        if not typed or len(typed) > TITLE_LIMIT:
            await message.reply_text(_("Please send the title as text, at most {limit} "
                                       "characters.").format(limit=TITLE_LIMIT))
            return None
        draft.title = typed
        await message.reply_text(_("Now send what it recommends and why, or “skip” to "
                                   "record the title alone. /cancel stops and stores "
                                   "nothing."))
        return None
    if typed.casefold() in _SKIP | {_("skip").casefold()}:
        typed = ""
    if len(typed) > BODY_LIMIT:
        await message.reply_text(_("Please send at most {limit} characters, or “skip”.")
                                 .format(limit=BODY_LIMIT))
        return None
    storage = context.services.storage
    actor = moderator_actor(storage.secret, user_id)
    try:
        if draft.recommendation_id is not None:
            return await translate(storage, actor, draft.recommendation_id, draft.language,
                                   draft.title, typed or None)
        body = Text({draft.language: typed}) if typed else Text({})
        return await add_recommendation(
            storage, actor, recommendation_id=await new_recommendation_id(storage, draft.title),
            survey_id=draft.survey_id, title=Text({draft.language: draft.title}), body=body)
    except RecommendationError as error:
        await message.reply_text(error.message.render(_))
        return None
