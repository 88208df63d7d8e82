"""The installed form of a statement-trigger body: the file's statements for plain PostgreSQL, and
the same statements aimed at co-located shards for a Citus cluster, in one PL/pgSQL function.

sql/triggers/*.sql hold plain SQL statements (no PL/pgSQL variables, tables only, no views),
each ending with `;`, and a final `RETURN NULL;`. The generated body is

    IF TG_TABLE_NAME = '<table>' THEN
        <the statements, unchanged>
    ELSE
        <workspace of one transition row>
        EXECUTE format('<statement, each table replaced by its shard>', <shard names>); ...
    END IF;
    RETURN NULL;

Why two forms: on Citus the trigger is created on the distributed table and Citus creates it
on every shard, so it fires on a worker, on a shard (`event_102008`), seeing that shard's rows
only. There, `INSERT INTO support_hourly ... FROM new_events` would be planned as a distributed
query, which cannot read the transition table ("executor could not find named tuplestore").
Every table a trigger writes is distributed by workspace_id and co-located with the raw table,
so the rows of the shard being written all belong to the co-located shard of each table that
`get_shard_id_for_distribution_column` gives for any of their workspaces: the statement run
against that shard name is a plain local statement, which PostgreSQL plans like any other.

Which form applies costs one comparison: on plain PostgreSQL the trigger fires on the table it
was declared on, on Citus only on shards, whose names differ. The plain branch keeps static
statements, so PL/pgSQL plans and caches them exactly as before; the Citus branch is parsed
only where it runs (PL/pgSQL parses an expression when it first executes it), so plain
PostgreSQL never needs the Citus functions it names.
"""

import re
from dataclasses import dataclass

WORKSPACE_VARIABLE = "tally_workspace_id"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<symbol>::|<>|<=|>=|!=|\|\||.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Words after which an identifier names a relation. After UPDATE also the ON CONFLICT ... DO
# UPDATE SET and FOR UPDATE forms, told apart because SET / ; / OF follow them.
_RELATION_BEFORE = {"from", "join", "into", "update", "using", "table"}  # table: LOCK TABLE name
_NOT_RELATION = {
    "set", "of", "nowait", "skip", "only", "lateral", "select", "with", "values", "default",
}  # fmt: skip
# Words that open a statement inside parentheses (a subquery, a data-modifying CTE).
_QUERY = {"select", "with", "values", "insert", "update", "delete"}
# Words that may follow a relation where no alias was written.
_CLAUSE = {
    "where", "set", "on", "join", "inner", "left", "right", "full", "cross", "natural", "using",
    "group", "order", "limit", "offset", "for", "returning", "union", "except", "intersect",
    "having", "window", "values", "select", "default", "overriding", "as", "do",
}  # fmt: skip


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def _tokens(sql: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        tokens.append(_Token(match.lastgroup, match.group()))
        position = match.end()
    return tokens


def _significant(tokens: list[_Token], start: int, step: int) -> int | None:
    index = start + step
    while 0 <= index < len(tokens):
        if tokens[index].kind not in ("space", "comment"):
            return index
        index += step
    return None


def statements(sql: str) -> list[str]:
    """The statements of a trigger file, each with its trailing `;`, comments kept."""
    result, current = [], []
    for token in _tokens(sql):
        current.append(token.text)
        if token.text == ";":
            result.append("".join(current).strip())
            current = []
    rest = "".join(current)
    if any(t.kind not in ("space", "comment") for t in _tokens(rest)):
        raise ValueError(f"trigger SQL must end with ';': {rest.strip()[:80]!r}")
    return result


def _cte_names(tokens: list[_Token]) -> set[str]:
    """Names defined by WITH: `name AS (` or `name (columns) AS (` after WITH or a comma."""
    names = set()
    for index, token in enumerate(tokens):
        if token.kind != "word":
            continue
        before = _significant(tokens, index, -1)
        if before is None or (tokens[before].word not in ("with", "recursive") and tokens[before].text != ","):
            continue
        after = _significant(tokens, index, 1)
        if after is not None and tokens[after].text == "(":
            depth = 0
            while after is not None:
                depth += {"(": 1, ")": -1}.get(tokens[after].text, 0)
                if depth == 0:
                    break
                after = _significant(tokens, after, 1)
            after = _significant(tokens, after, 1) if after is not None else None
        if after is None or tokens[after].word != "as":
            continue
        opening = _significant(tokens, after, 1)
        while opening is not None and tokens[opening].word in ("not", "materialized"):
            opening = _significant(tokens, opening, 1)
        if opening is not None and tokens[opening].text == "(":
            names.add(token.word)
    return names


def relations(sql: str, *, transition: str) -> list[str]:
    """The tables one statement reads or writes, in order of first mention (its CTEs and the
    transition table left out)."""
    return list(dict.fromkeys(name for name, _, _ in _relation_positions(_tokens(sql), transition=transition)))


def _relation_positions(tokens: list[_Token], *, transition: str) -> list[tuple[str, int, bool]]:
    """(table, token index, has an alias) of every table reference. Parentheses that do not open
    a query (function calls such as EXTRACT(EPOCH FROM ...)) are skipped: FROM there is no
    relation."""
    local = _cte_names(tokens) | {transition}
    query_depths, found = [True], []
    for index, token in enumerate(tokens):
        if token.text == "(":
            after = _significant(tokens, index, 1)
            query_depths.append(after is not None and tokens[after].word in _QUERY)
            continue
        if token.text == ")":
            query_depths.pop()
            continue
        if token.kind != "word" or not query_depths[-1]:
            continue
        before = _significant(tokens, index, -1)
        if before is None or tokens[before].word not in _RELATION_BEFORE or token.word in _NOT_RELATION:
            continue
        after = _significant(tokens, index, 1)
        follower = tokens[after] if after is not None else None
        if follower is not None and follower.text == ".":
            raise ValueError(f"schema-qualified relation in a trigger body: {token.text}.")
        if follower is not None and follower.text == "(" and tokens[before].word != "into":
            continue  # a set-returning function
        if token.word in local:
            continue
        # LOCK TABLE takes no alias: leave it as written.
        aliased = tokens[before].word == "table" or (
            follower is not None
            and (follower.word == "as" or (follower.kind == "word" and follower.word not in _CLAUSE))
        )
        found.append((token.word, index, aliased))
    return found


def sharded(sql: str, *, transition: str) -> tuple[str, list[str]]:
    """One statement with every table replaced by a format() placeholder (%1$s, %2$s, ... in
    order of `relations`), an alias of the table's own name added where none was written (so
    qualified columns keep working), `%` doubled, PERFORM turned into SELECT and comments left
    out (the plain branch keeps them)."""
    tokens = _tokens(sql)
    positions = _relation_positions(tokens, transition=transition)
    tables = list(dict.fromkeys(name for name, _, _ in positions))
    replace = {index: (name, aliased) for name, index, aliased in positions}
    first = _significant(tokens, -1, 1)
    out = []
    for index, token in enumerate(tokens):
        if index in replace:
            name, aliased = replace[index]
            placeholder = f"%{tables.index(name) + 1}$s"
            out.append(placeholder if aliased else f"{placeholder} AS {name}")
        elif index == first and token.word == "perform":
            out.append("SELECT")
        elif token.kind == "comment":
            continue
        else:
            out.append(token.text.replace("%", "%%"))
    return "\n".join(line for line in "".join(out).splitlines() if line.strip()), tables


def _dollar_quote(text: str) -> str:
    tag = "$sql$"
    if tag in text:
        raise ValueError("trigger SQL must not contain $sql$")
    return f"{tag}{text}{tag}"


def _indent(text: str, by: str) -> str:
    return "\n".join(by + line if line.strip() else line for line in text.splitlines())


def shard_aware_body(sql: str, *, table: str, transition: str) -> str:
    """The PL/pgSQL body (between BEGIN and END) that runs the statements of a trigger file on
    plain PostgreSQL as written and on a Citus shard against the co-located shards. Needs the
    variable WORKSPACE_VARIABLE declared as bigint."""
    parts = statements(sql)
    if not parts or parts[-1].lower().rstrip(";").split() != ["return", "null"]:
        raise ValueError(f"a trigger body on {table} must end with RETURN NULL;")
    return sections_body([Section(guard=None, statements=parts[:-1])], table=table, transition=transition)


@dataclass
class Section:
    """Statements that run together, only when `guard` (a condition on the transition table
    alone, or None for always) holds: a file's statements, skipped for a statement whose new rows
    cannot touch what they keep (the executor start-up of a statement is paid even when its input
    is empty)."""

    guard: str | None
    statements: list[str]
    label: str = ""

    def wrap(self, text: str) -> str:
        """`text` (this section's statements in some form) under its guard and label."""
        if self.guard is not None:
            text = "\n".join([f"IF {self.guard} THEN", _indent(text, "    "), "END IF;"])
        return f"-- {self.label}\n{text}" if self.label else text


# A statement may have a lean form: its text without the spans between a `-- @full-only {` line and
# a `-- @full-only }` line, run instead of the whole statement when the condition written on the
# `-- @lean-when ...` lines before it holds (the lines joined, without their prefix). The condition
# may read the tables the statements before it wrote (it runs after them) and must hold only when
# every span left out would change no row. Why: PostgreSQL initializes every node of a cached plan
# at each execution, even those whose input is empty, and a single-event statement pays that
# start-up for every CTE (docs/performance.md); the lean form leaves the spans out of the plan.
# Only the plain branch has the lean form: a shard runs the whole statement.
FULL_ONLY = re.compile(r"^-- @full-only \{\n.*?^-- @full-only \}\n", re.MULTILINE | re.DOTALL)
FULL_ONLY_MARK = re.compile(r"^-- @full-only [{}]\n", re.MULTILINE)
LEAN_WHEN = re.compile(r"^-- @lean-when ?(?P<line>.*)\n", re.MULTILINE)


def lean_form(statement: str) -> tuple[str, str] | None:
    """(condition, lean statement) of a statement with a lean form, else None."""
    lines = [match["line"] for match in LEAN_WHEN.finditer(statement)]
    if not lines:
        return None
    spans = FULL_ONLY.findall(statement)
    marks = FULL_ONLY_MARK.findall(statement)
    if not spans or len(marks) != 2 * len(spans):
        raise ValueError("a statement with -- @lean-when needs balanced -- @full-only { ... } spans")
    lean = FULL_ONLY.sub("", LEAN_WHEN.sub("", statement))
    return "\n".join(lines).strip(), lean


def plain_statement(statement: str) -> str:
    """The statement as plain PostgreSQL runs it: as written, or its lean form under its condition
    and the whole statement otherwise."""
    lean = lean_form(statement)
    if lean is None:
        return statement
    condition, text = lean
    whole = LEAN_WHEN.sub("", statement)
    return "\n".join([f"IF {condition} THEN", _indent(text, "    "), "ELSE", _indent(whole, "    "), "END IF;"])


def plain_body(sections: list[Section]) -> str:
    """The sections' statements as written, each section under its guard, then RETURN NULL: the
    plain-PostgreSQL branch of sections_body on its own."""
    return (
        "\n\n".join(section.wrap("\n\n".join(map(plain_statement, section.statements))) for section in sections)
        + "\nRETURN NULL;"
    )


# A statement preceded by a `-- @not-on-citus` comment line runs on plain PostgreSQL only: the row
# locks on the workspace (a reference table on Citus) that order ingestion after a change of a
# workspace's zone. On a shard they would be taken by a worker backend the coordinator does not
# know of, and a later UPDATE of that reference row in the same transaction, sent over another
# connection, would wait for it: a distributed deadlock. A cluster keeps the table lock instead
# (sql/functions/tally_unique_periods_rebuild.sql).
NOT_ON_CITUS = re.compile(r"^-- @not-on-citus\b", re.MULTILINE)


def sections_body(sections: list[Section], *, table: str, transition: str) -> str:
    """The body for statements in sections (shard_aware_body's form), then RETURN NULL. A guard
    reads only the transition table, so on a Citus shard it runs as written too. Statements
    marked `-- @not-on-citus` are left out of the shard branch."""
    plain, calls = [], []
    for section in sections:
        plain.append(section.wrap("\n\n".join(map(plain_statement, section.statements))))
        section_calls = []
        for statement in section.statements:
            if NOT_ON_CITUS.search(statement):
                continue
            text, tables = sharded(statement, transition=transition)
            shards = "".join(
                f",\n    shard_name('{name}'::regclass, "
                f"get_shard_id_for_distribution_column('{name}', {WORKSPACE_VARIABLE}))"
                for name in tables
            )
            section_calls.append(f"EXECUTE format({_dollar_quote(text.rstrip(';'))}{shards});")
        calls.append(section.wrap("\n".join(section_calls)))
    citus = "\n".join(
        [
            f"SELECT workspace_id INTO {WORKSPACE_VARIABLE} FROM {transition} LIMIT 1;",
            "IF FOUND THEN",
            _indent("\n".join(calls), "    "),
            "END IF;",
        ]
    )
    return "\n".join(
        [
            f"IF TG_TABLE_NAME = '{table}' THEN",
            _indent("\n\n".join(plain), "    "),
            "ELSE",
            "    -- A Citus shard of the table: the same statements on the co-located shards (triggers/shards.py).",
            _indent(citus, "    "),
            "END IF;",
            "RETURN NULL;",
        ]
    )
