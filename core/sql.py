"""Loads the hand-written SQL in sql/, so triggers, views and recomputations live in files a DBA can read."""

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@cache
def read_sql(relative_path: str) -> str:
    return (SQL_DIR / relative_path).read_text().strip()
