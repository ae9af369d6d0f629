"""Files uploaded through the web are bounded by the work they cause, not only by bytes.

A small Parquet file may hold millions of rows, and reading them holds the database's
writer and the process's memory. An upload is read from the request's spooled body in
chunks, counting CSV lines as it goes; a Parquet file's footer is read before any
column, then its decoded size is counted one batch of rows at a time: a file over the row
or memory limit (settings `EPIDESK_UPLOAD_MAX_ROWS`,
`EPIDESK_UPLOAD_MAX_MEMORY_BYTES`) is refused with 413 before anything is parsed or
written. Large rounds go through the command line, which has no such limit.
"""

from __future__ import annotations

from fastapi import UploadFile

from epidesk.config import get_settings
from epidesk.errors import DomainError
from epidesk.kit.imports import (
    Unreadable,
    is_parquet,
    parquet_decoded_bytes,
    parquet_outline,
)

CHUNK = 2**20


class UploadTooLargeError(DomainError):
    status = 413
    title = "Upload too large"


def read_upload(file: UploadFile, *, command: str) -> bytes:
    """The uploaded file's bytes, or 413 when it holds more rows or would take more memory
    than one upload may; `command` is the command line that takes such a file instead."""
    settings = get_settings()
    max_rows, max_memory = settings.upload_max_rows, settings.upload_max_memory_bytes
    source = file.file
    source.seek(0)
    chunks: list[bytes] = []
    size = lines = 0
    parquet = False
    while chunk := source.read(CHUNK):
        if not chunks:
            parquet = is_parquet(chunk)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_memory:
            raise _too_large(f"the file takes more than {max_memory:,} bytes",
                             "EPIDESK_UPLOAD_MAX_MEMORY_BYTES", max_memory, command)
        if not parquet:
            lines += chunk.count(b"\n")
            if lines - 1 > max_rows:
                raise _too_large(f"the file has more than {max_rows:,} lines besides its "
                                 "header", "EPIDESK_UPLOAD_MAX_ROWS", max_rows, command)
    content = b"".join(chunks)
    if parquet:
        try:
            outline = parquet_outline(content)
            if outline.rows > max_rows:
                raise _too_large(f"the file holds {outline.rows:,} rows, more than "
                                 f"{max_rows:,}", "EPIDESK_UPLOAD_MAX_ROWS", max_rows, command)
            decoded = outline.decoded_bytes
            if decoded <= max_memory:
                decoded = parquet_decoded_bytes(content, stop_above=max_memory)
        except Unreadable:
            return content  # the import reports why it cannot be read
        if decoded > max_memory:
            raise _too_large(f"its columns take more than {max_memory:,} bytes once "
                             "decoded", "EPIDESK_UPLOAD_MAX_MEMORY_BYTES", max_memory, command)
    return content


def _too_large(why: str, setting: str, limit: int, command: str) -> UploadTooLargeError:
    return UploadTooLargeError(
        f"{why}, the most one upload may take ({setting}); nothing was read or written. "
        f"Send a file this large with the command line, `{command} FILE`, which has no "
        "such limit", field="file", limit=limit, setting=setting, command=command)
