"""A census of aiortc's codec objects: the proof that nothing decodes or encodes on the relay
(:func:`codec_census`, in the relay's statistics), installed with the hooks."""

from __future__ import annotations

from typing import Any

_codec_census: dict[str, int] = {}


def _count_constructions(cls: type[Any]) -> None:
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _codec_census[cls.__name__] = _codec_census.get(cls.__name__, 0) + 1
        original(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]


def _install_codec_census() -> None:
    """Count every aiortc decoder and encoder constructed in this process
    (our own passthrough and forwarding stand-ins excluded)."""
    import aiortc.codecs as codecs_pkg
    from aiortc.codecs.base import Decoder as BaseDecoder, Encoder as BaseEncoder

    seen: set[type] = set()
    for module_name in ("g711", "g722", "h264", "opus", "vpx"):
        module = getattr(__import__(f"aiortc.codecs.{module_name}"), "codecs").__dict__[module_name]
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, (BaseDecoder, BaseEncoder))
                and value not in (BaseDecoder, BaseEncoder)
                and value.__module__ == module.__name__
                and value not in seen
            ):
                seen.add(value)
                _count_constructions(value)
    del codecs_pkg


def codec_census() -> dict[str, int]:
    """How many real aiortc codec objects (``Vp8Decoder``, ``OpusEncoder``, …)
    were constructed in this process since :func:`install`: zero on a relay
    that only forwards."""
    return dict(_codec_census)
