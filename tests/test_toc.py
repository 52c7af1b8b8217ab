"""The table of contents and the files on disk agree, both ways."""

from pathlib import Path

from book import ROOT, chapter_notebooks, source_of, toc_files


def toc_problems(entries: list[str], notebooks: list[Path]) -> list[str]:
    """What is wrong between toc entries and chapter notebooks, one message each."""
    problems = [f"_toc.yml lists '{entry}', but no {entry}.ipynb or {entry}.md exists"
                for entry in entries if source_of(entry) is None]
    listed = set(entries)
    problems += [f"{path.relative_to(ROOT)} is not in _toc.yml: add '- file: {path.relative_to(ROOT).with_suffix('')}'"
                 for path in notebooks if str(path.relative_to(ROOT).with_suffix("")) not in listed]
    duplicates = sorted({entry for entry in entries if entries.count(entry) > 1})
    problems += [f"_toc.yml lists '{entry}' more than once" for entry in duplicates]
    return problems


def test_toc_and_chapter_files_agree():
    problems = toc_problems(toc_files(), chapter_notebooks())
    assert not problems, "\n".join(problems)


def test_chapters_are_numbered_in_reading_order():
    chapters = [entry for entry in toc_files() if entry.startswith("chapters/")]
    numbers = [int(Path(entry).name[:2]) for entry in chapters]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), f"chapter order in _toc.yml: {chapters}"


def test_the_check_notices_a_chapter_missing_from_the_toc():
    """Guard the guard: drop the last chapter from the toc and the check must say so."""
    entries = toc_files()
    dropped = [entry for entry in entries if entry.startswith("chapters/")][-1]
    problems = toc_problems([e for e in entries if e != dropped], chapter_notebooks())
    assert problems == [f"{dropped}.ipynb is not in _toc.yml: add '- file: {dropped}'"]


def test_the_check_notices_a_toc_entry_without_a_file():
    problems = toc_problems([*toc_files(), "chapters/99_missing"], chapter_notebooks())
    assert problems == ["_toc.yml lists 'chapters/99_missing', "
                        "but no chapters/99_missing.ipynb or chapters/99_missing.md exists"]
