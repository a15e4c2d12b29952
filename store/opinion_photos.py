"""An opinion's photos (up to six): stored in the opinion's scope, checked before
(:mod:`store.photos`), the same bytes twice change nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, select

from core.errors import InvalidPayload, NotFound, PayloadTooLarge
from core.matrix import Matrix
from core.scope import Actor
from store.audit import record
from store.opinion_models import Opinion, OpinionPhoto
from store.photos import inspect_photo
from store.scope import require_view

MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_PHOTOS = 6


def put_photo(
    db: Session, actor: Actor, matrix: Matrix, opinion_id: int, position: int, content_type: str,
    data: bytes, now: datetime,
) -> OpinionPhoto:
    """Store the photo at ``position`` (0-5); the same bytes again change
    nothing, other bytes replace it."""
    try:
        row = db.get(Opinion, opinion_id)
        if row is None:
            raise NotFound(what="opinion", id=opinion_id)
        require_view(actor, matrix, row)
        if not 0 <= position < MAX_PHOTOS:
            raise InvalidPayload("photo_position", maximum=MAX_PHOTOS - 1, field="position")
        if len(data) > MAX_PHOTO_BYTES:
            raise PayloadTooLarge("photo_too_large", kib=MAX_PHOTO_BYTES // 1024)
        content_type = inspect_photo(data, content_type).content_type
        digest = hashlib.sha256(data).hexdigest()
        photo = db.exec(
            select(OpinionPhoto).where(OpinionPhoto.opinion_id == opinion_id, OpinionPhoto.position == position)
        ).first()
        if photo is not None and photo.sha256 == digest:
            return photo
        if photo is None:
            photo = OpinionPhoto(opinion_id=opinion_id, position=position, content_type=content_type,
                                 size=len(data), sha256=digest, data=data, created_at=now)
        else:
            photo.content_type, photo.size, photo.sha256, photo.data = content_type, len(data), digest, data
            photo.created_at = now
        db.add(photo)
        record(db, actor, "opinion.photo", "opinion", opinion_id, None,
               {"position": position, "size": len(data), "sha256": digest}, now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    db.refresh(photo)
    return photo


def get_photo(db: Session, actor: Actor, matrix: Matrix, opinion_id: int, position: int) -> OpinionPhoto:
    row = db.get(Opinion, opinion_id)
    if row is None:
        raise NotFound(what="opinion", id=opinion_id)
    require_view(actor, matrix, row)
    photo = db.exec(
        select(OpinionPhoto).where(OpinionPhoto.opinion_id == opinion_id, OpinionPhoto.position == position)
    ).first()
    if photo is None:
        raise NotFound(what="photo", id=f"{opinion_id}/{position}")
    return photo
