"""``consultbot run``'s logging: libraries never log below WARNING, whatever our level."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import io, logging
    from PIL import Image
    from bot.logging_setup import setup_logging

    setup_logging("123:SECRET", level=logging.DEBUG)
    logging.getLogger("PIL").setLevel(logging.DEBUG)  # as a library might do itself
    setup_logging("123:SECRET", level=logging.DEBUG)

    image = Image.new("RGB", (4, 4))
    exif = image.getexif()
    exif[0x010F] = "CameraMakerAtHome"
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif)
    reopened = Image.open(io.BytesIO(buffer.getvalue()))
    reopened.load()
    reopened.getexif()
    logging.getLogger("telegram.ext.Updater").debug("update payload %s", "PAYLOAD")
    logging.getLogger("httpx").info("POST https://api.telegram.org/bot123:SECRET/getMe")
    logging.getLogger("handlers.survey").debug("our debug line")
    logging.getLogger("consultbot.errors").warning("warned with 123:SECRET")
    logging.getLogger("telegram.ext.Application").info("Application started")
''')


def test_library_debug_and_info_stay_off_and_the_token_is_hidden() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=60, check=True)
    err = result.stderr
    assert "our debug line" in err  # our own loggers follow the chosen level
    assert "Application started" in err  # ptb's lifecycle lines stay
    assert "warned with <token>" in err and "SECRET" not in err
    for leaked in ("PIL", "CameraMakerAtHome", "PAYLOAD", "getMe", "STREAM"):
        assert leaked not in err
