"""Domain messages stay data until a reader's translator renders them."""

from __future__ import annotations

from surveys.messages import N_, Message


def test_render_translates_the_template_then_fills_placeholders() -> None:
    message = Message(N_("Please choose a whole number from {min} to {max}."), {"min": 1, "max": 5})
    french = {"Please choose a whole number from {min} to {max}.": "Choisissez un nombre entier de {min} à {max}."}
    assert message.render() == "Please choose a whole number from 1 to 5."
    assert message.render(lambda s: french.get(s, s)) == "Choisissez un nombre entier de 1 à 5."


def test_a_broken_translation_falls_back_to_english() -> None:
    message = Message("{count} options", {"count": 3})
    assert message.render(lambda s: "{nombre} options") == "3 options"


def test_messages_are_immutable_values() -> None:
    params = {"x": 1}
    message = Message("{x}", params)
    params["x"] = 2
    assert message.render() == "1"
    assert message == Message("{x}", {"x": 1})
