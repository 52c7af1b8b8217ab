"""Helpers shared between chapters stay identical to their origin.

A notebook must stand alone (Colab opens it by itself, with no module of ours
beside it), so a helper that a later chapter reuses is copied into it, with a
marker on the line above naming where it comes from:

    # same as chapter 4: tidy
    def tidy(t: torch.Tensor) -> torch.Tensor:

These tests fail when a copy drifts from its origin, when a marker names the
wrong thing, and when two chapters define the same name without a marker
(one name means one thing across the book).
"""

import difflib

from book import Definition, chapter_notebooks, chapter_number, definitions, load


def all_definitions() -> dict[int, list[Definition]]:
    return {chapter_number(path): definitions(load(path)) for path in chapter_notebooks()}


def copy_problems(chapter: int, book: dict[int, list[Definition]]) -> list[str]:
    """What is wrong with the shared helpers of `chapter`, one message each."""
    problems = []
    for helper in book[chapter]:
        if helper.copied_from is None:
            earlier = [n for n in sorted(book) if n < chapter
                       and any(d.name == helper.name and d.copied_from is None for d in book[n])]
            if earlier:
                problems.append(f"chapter {chapter} defines {helper.name!r}, as chapter {earlier[0]} does: "
                                f"copy it with '# same as chapter {earlier[0]}: {helper.name}' above it, or rename it")
            continue
        if helper.marked_name != helper.name:
            problems.append(f"chapter {chapter}: the marker above {helper.name!r} names {helper.marked_name!r}")
            continue
        origins = [d for d in book.get(helper.copied_from, []) if d.name == helper.name and d.copied_from is None]
        if not origins:
            problems.append(f"chapter {chapter}: {helper.name!r} is marked as a copy from chapter "
                            f"{helper.copied_from}, which does not define it")
        elif origins[0].text != helper.text:
            diff = difflib.unified_diff(origins[0].text.splitlines(), helper.text.splitlines(),
                                        f"chapter {helper.copied_from}", f"chapter {chapter}", lineterm="")
            problems.append(f"chapter {chapter}: {helper.name!r} has drifted from chapter {helper.copied_from}; "
                            "make the copy identical again (or change both):\n" + "\n".join(diff))
    return problems


def test_copied_helpers_match_their_origin(notebook_path):
    problems = copy_problems(chapter_number(notebook_path), all_definitions())
    assert not problems, "\n".join(problems)


TIDY = 'def tidy(t):\n    """Round."""\n    return t.round(decimals=4) + 0.0'


def helper(text: str, copied_from: int | None = None, marked: str | None = "tidy") -> Definition:
    return Definition(name="tidy", text=text, copied_from=copied_from,
                      marked_name=marked if copied_from is not None else None)


def test_the_check_accepts_a_true_copy():
    assert copy_problems(5, {4: [helper(TIDY)], 5: [helper(TIDY, copied_from=4)]}) == []


def test_the_check_notices_a_drifted_copy():
    drifted = TIDY.replace("decimals=4", "decimals=3")
    problems = copy_problems(5, {4: [helper(TIDY)], 5: [helper(drifted, copied_from=4)]})
    assert len(problems) == 1 and "'tidy' has drifted from chapter 4" in problems[0]
    assert "-    return t.round(decimals=4) + 0.0" in problems[0] and "+    return t.round(decimals=3)" in problems[0]


def test_the_check_notices_a_wrong_origin_or_name():
    assert "which does not define it" in copy_problems(5, {3: [], 4: [helper(TIDY)],
                                                          5: [helper(TIDY, copied_from=3)]})[0]
    assert "names 'round4'" in copy_problems(5, {4: [helper(TIDY)], 5: [helper(TIDY, 4, marked="round4")]})[0]


def test_the_check_notices_an_unmarked_second_definition():
    problems = copy_problems(5, {4: [helper(TIDY)], 5: [helper(TIDY)]})
    assert problems == ["chapter 5 defines 'tidy', as chapter 4 does: "
                        "copy it with '# same as chapter 4: tidy' above it, or rename it"]
