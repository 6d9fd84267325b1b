"""Log lines a collector can parse, with signed link tokens taken out.

Nothing here imports Django, so gunicorn's own loggers can use it too.
"""

import hashlib
import json
import logging
import re
from datetime import UTC, datetime

# Every LogRecord has these; any other attribute came from `extra`.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
}
# Values of `extra` that go into a JSON line as they are. Anything else (a
# request object, say) is left out: its text could carry a token or a header.
PLAIN_TYPES = (str, int, float, bool, type(None))

# A signed link is /files/<token>; the token alone grants access to a file.
LINK_TOKEN = re.compile(r"(/files/)([^\s/?#\"'<>]+)")


def link_digest(token):
    """Return a short digest that tells links apart without revealing them."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def redact(text):
    """Replace every signed link token in `text` with its digest."""
    return LINK_TOKEN.sub(
        lambda match: f"{match[1]}[link:{link_digest(match[2])}]", text
    )


class RedactLinkTokens(logging.Filter):
    """Take signed link tokens out of a record's message before it is written.

    Django logs the path of every 4xx response ("Not Found: /files/...");
    a genuine token in a log would let anyone who reads the log fetch the
    file.
    """

    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line.

    Keys: time (UTC, ISO 8601), level, logger, pid, message, then the record's
    `extra` fields whose values are plain strings, numbers or booleans, and
    `exception` when there is a traceback.
    """

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def extra_fields(record):
    """Return the record's `extra` fields that are safe to write as they are."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in STANDARD_ATTRIBUTES
        and not key.startswith("_")
        and isinstance(value, PLAIN_TYPES)
    }


def logging_config(*, level, style, stream):
    """Return a dictConfig for the project's loggers.

    `style` is "json" for one JSON object per line or "plain" for text;
    `stream` names the output, e.g. "ext://sys.stdout".
    """
    if style not in ("json", "plain"):
        raise ValueError(f"LOG_FORMAT must be json or plain, not {style!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "imageapi.logs.RedactLinkTokens"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "imageapi.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": style,
                "filters": ["redact"],
                "stream": stream,
            },
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "imageapi": {"level": level},
            "tiers": {"level": level},
            "uploads": {"level": level},
        },
    }
