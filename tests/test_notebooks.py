"""Each chapter notebook, as committed, is one a reader can trust.

nbval (run on the same files) proves the stored outputs are what the code
prints today; these tests prove the stored file itself is sound: run top to
bottom, errors only where meant, the shared first cell, no network, no paths
of the machine that made it, and the chapter's fixed parts.
"""

import difflib
import re

from book import (
    chapter_notebooks,
    chapter_number,
    code_cells,
    figure_outputs,
    load,
    markdown,
    output_texts,
    setup_cell,
    source,
    tags,
)
from nbval_book import PLATFORM_SENSITIVE

# Code that would reach the network at run time. (The Colab-only install in
# the first cell is checked separately.)
NETWORK = re.compile(
    r"https?://|urllib|requests\.|socket\.|download\s*=\s*True|torch\.hub|load_state_dict_from_url"
    r"|pretrained\s*=\s*True|weights\s*=\s*['\"]?\w*DEFAULT|fetch_openml"
    # a hub's from_pretrained downloads; nn.Embedding.from_pretrained takes a local tensor
    r"|(?<!Embedding\.)(?<!EmbeddingBag\.)from_pretrained"
)

# Paths of the machine that made the outputs: home folders, temp files,
# virtual environments, kernel temp files named in warnings.
MACHINE_PATH = re.compile(
    r"/(home|root|Users|tmp|var/folders)/|[A-Za-z]:\\\\|site-packages|\.venv|ipykernel_\d+"
)

# Markers that would hide a cell's output (or the cell) from the comparison.
OUTPUT_HIDING = re.compile(r"NBVAL_IGNORE_OUTPUT|NBVAL_SKIP|nbval-ignore-output|nbval-skip", re.I)


def test_kernelspec_is_python3(notebook_path):
    kernelspec = load(notebook_path)["metadata"].get("kernelspec", {})
    assert kernelspec.get("name") == "python3", f"{notebook_path.name}: kernelspec is {kernelspec!r}, not python3"


def test_ran_top_to_bottom_in_one_kernel(notebook_path):
    counts = [cell.get("execution_count") for cell in code_cells(load(notebook_path))]
    command = f"make execute NB={notebook_path.relative_to(notebook_path.parents[1])}"
    never = counts.count(None)
    assert not never, f"{notebook_path.name}: {never} code cell(s) never executed; run `{command}`"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{notebook_path.name}: execution counts {counts} are not 1..{len(counts)}: "
        "restart the kernel and run all cells (make execute)"
    )


def test_errors_only_in_cells_meant_to_fail(notebook_path):
    for index, cell in enumerate(load(notebook_path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        meant = "raises-exception" in tags(cell)
        where = f"{notebook_path.name} cell {index}"
        assert meant or not errors, f"{where}: error {errors[0]['ename']} in a cell not tagged raises-exception"
        assert errors or not meant, f"{where}: tagged raises-exception but raised nothing"


def test_no_warnings_printed(notebook_path):
    """stderr carries kernel temp paths and run-to-run noise; a chapter prints no warnings."""
    for index, cell in enumerate(load(notebook_path)["cells"]):
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", (
                f"{notebook_path.name} cell {index} wrote to stderr: {source({'source': output['text']})[:200]!r}"
            )


def test_first_code_cell_is_the_shared_setup_folded(notebook_path):
    """The first code cell is tools/book.py's SETUP_CELL exactly (seed = chapter
    number), tagged hide-input so the page shows its output, not its plumbing."""
    first = code_cells(load(notebook_path))[0]
    expected = setup_cell(chapter_number(notebook_path))
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), source(first).splitlines(),
                                          "tools/book.py SETUP_CELL", notebook_path.name, lineterm=""))
    assert source(first) == expected, f"{notebook_path.name}: the first code cell is not the shared set-up:\n{diff}"
    assert "hide-input" in tags(first), f"{notebook_path.name}: tag the set-up cell hide-input"


COLAB_GUARD = 'if "google.colab" in sys.modules:'


def test_installs_happen_only_in_colab(notebook_path):
    """Only the chapter's imports cell (the second code cell) installs, and only on Colab."""
    for index, cell in enumerate(code_cells(load(notebook_path))):
        lines = source(cell).splitlines()
        for number, line in enumerate(lines):
            if re.search(r"pip install|conda install|apt-get", line):
                guarded = index == 1 and line.startswith("    ") and COLAB_GUARD in "\n".join(lines[:number])
                assert guarded, (f"{notebook_path.name}: install outside the Colab guard of the imports cell "
                                 f"(second code cell): {line.strip()!r}")


def test_no_network_access_in_code(notebook_path):
    for cell in code_cells(load(notebook_path)):
        for line in source(cell).splitlines():
            assert not NETWORK.search(line), f"{notebook_path.name}: code reaches for the network: {line.strip()!r}"


def test_no_machine_paths_in_code_or_outputs(notebook_path):
    for index, cell in enumerate(load(notebook_path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        for text in [source(cell), *output_texts(cell)]:
            found = MACHINE_PATH.search(text)
            if found:
                context = text[max(0, found.start() - 60):found.end() + 60]
                raise AssertionError(f"{notebook_path.name} cell {index}: "
                                     f"machine path {found.group(0)!r} in {context!r}")


def test_no_output_hidden_from_nbval(notebook_path):
    for index, cell in enumerate(load(notebook_path)["cells"]):
        hidden = OUTPUT_HIDING.search(source(cell) + " ".join(tags(cell)))
        assert not hidden, (f"{notebook_path.name} cell {index}: {hidden.group(0)} hides output from the tests; "
                            "make the output reproducible instead")


def test_chapter_has_its_fixed_parts(notebook_path):
    text = markdown(load(notebook_path))
    number = int(notebook_path.name[:2])
    parts = {
        f"a title '# {number}. ...'": rf"(?m)^# {number}\. \S",
        "learning objectives": r"\*\*Learning objectives\.?\*\*",
        "numbered sections '## N.x ...'": rf"(?m)^## {number}\.\d+ ",
        "an Exercises section": r"(?m)^## Exercises",
        "at least one {exercise}": r"```\{exercise\}",
        "a folded solution (solution-start ... :class: dropdown)": r"```\{solution-start\}[^\n]*\n:class: dropdown",
        "a Summary section": r"(?m)^## Summary",
        "a References section citing works": r"(?m)^## References[\s\S]*\{cite\}",
    }
    missing = [name for name, pattern in parts.items() if not re.search(pattern, text)]
    assert not missing, f"{notebook_path.name} lacks {missing}"
    starts, ends = text.count("{solution-start}"), text.count("{solution-end}")
    assert starts == ends, f"{notebook_path.name}: {starts} solution-start but {ends} solution-end"


SECTION = re.compile(r"(?m)^## (.+)$")
UNNUMBERED_ENDING = ("Exercises", "Summary", "References")


def section_problems(text: str, number: int) -> list[str]:
    """Top-level sections (`## `) run: Setup, then `N.1`, `N.2`, ... in increasing
    order with nothing unnumbered among them, then Exercises, Summary, References."""
    titles = SECTION.findall(text)
    numbered = [i for i, title in enumerate(titles) if re.match(rf"{number}\.\d+ ", title)]
    if not numbered:
        return []  # test_chapter_has_its_fixed_parts reports it
    problems = [f"unnumbered section '## {title}' among the numbered ones: number it '## {number}.k ...' "
                "or make it a subsection (###)"
                for title in titles[numbered[0]:numbered[-1] + 1] if not re.match(rf"{number}\.\d+ ", title)]
    problems += [f"section '## {title}' after the numbered sections is not one of {UNNUMBERED_ENDING}"
                 for title in titles[numbered[-1] + 1:] if title not in UNNUMBERED_ENDING]
    order = [int(re.match(rf"{number}\.(\d+)", titles[i]).group(1)) for i in numbered]
    if order != sorted(set(order)):
        problems.append(f"sections are numbered {order}, not in increasing order")
    return problems


def test_sections_are_numbered_in_order(notebook_path):
    problems = section_problems(markdown(load(notebook_path)), chapter_number(notebook_path))
    assert not problems, f"{notebook_path.name}: " + "; ".join(problems)


def test_the_section_check_notices_an_unnumbered_section():
    text = "## Setup\n## 5.1 Theorem\n## Vanishing gradients\n## 5.2 Depth\n## Exercises\n## Summary"
    assert section_problems(text, 5) == ["unnumbered section '## Vanishing gradients' among the numbered ones: "
                                         "number it '## 5.k ...' or make it a subsection (###)"]
    assert section_problems("## 5.2 A\n## 5.1 B\n## Notes", 5) == [
        "section '## Notes' after the numbered sections is not one of ('Exercises', 'Summary', 'References')",
        "sections are numbered [2, 1], not in increasing order"]


# A mention of another chapter, or of a numbered section, is a cross-reference
# ({ref}`chapter 3 <chapter-3>`, {ref}`section 3.4 <sec-3-4>`), so the strict build
# fails when its target goes away.
LINK = re.compile(r"\{(?:ref|numref|doc|eq)\}`[^`]*`")
# "ICD chapter 2" is a chapter of the ICD-10-CM classification, not of the book.
CHAPTER_MENTION = re.compile(r"(?<!ICD )\b[Cc]hapters? (\d+)(?![\d.]*(?: and \d+)? of \{cite\})")
SECTION_MENTION = re.compile(r"\b[Ss]ections? (\d+)\.\d+(?![\d.]* of \{cite\})")


def unlinked_chapter_mentions(text: str, chapters: set[int], own: int) -> list[str]:
    """Plain-text mentions of another existing chapter, or of a section of any
    existing chapter (not those of cited books)."""
    plain = LINK.sub("", text)
    mentions = [m for m in CHAPTER_MENTION.finditer(plain) if int(m.group(1)) != own]
    mentions += list(SECTION_MENTION.finditer(plain))
    return [plain[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")
            for m in sorted(mentions, key=lambda m: m.start()) if int(m.group(1)) in chapters]


def test_mentions_of_other_chapters_are_links(notebook_path):
    chapters = {chapter_number(path) for path in chapter_notebooks()}
    found = unlinked_chapter_mentions(markdown(load(notebook_path)), chapters, chapter_number(notebook_path))
    assert not found, (f"{notebook_path.name}: link these with {{ref}}`chapter N <chapter-N>` "
                       "or {ref}`section N.k <sec-N-k>`: " + str(found))


def test_the_link_check_notices_a_typed_chapter_number():
    text = "As {ref}`chapter 2 <chapter-2>` showed, and chapter 3 too; see chapter 6.5 of {cite}`book`."
    assert unlinked_chapter_mentions(text, {2, 3, 6}, own=4) == ["As  showed, and chapter 3 too; see chapter 6."]
    assert unlinked_chapter_mentions("as section 4.2 shows", {4}, own=4) == ["as section 4.2 shows"]
    assert unlinked_chapter_mentions("ICD chapter 2 is neoplasms", {2}, own=7) == []




def companion_problems(cells: list[dict]) -> list[str]:
    """Each platform-sensitive code cell (compared only on the reference platform)
    sits next to an untagged code cell that prints, on every machine, the relations
    the text relies on: at least one line ending in ': True', none in ': False'."""
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    problems = []
    for index, cell in enumerate(code):
        if PLATFORM_SENSITIVE not in tags(cell):
            continue
        neighbours = [code[i] for i in (index - 1, index + 1)
                      if 0 <= i < len(code) and PLATFORM_SENSITIVE not in tags(code[i])]
        printed = ["\n".join(output_texts(neighbour)).splitlines() for neighbour in neighbours]
        if not any(any(line.rstrip().endswith(": True") for line in lines)
                   and not any(line.rstrip().endswith(": False") for line in lines) for lines in printed):
            problems.append(f"code cell {index} is {PLATFORM_SENSITIVE} but neither code cell next to it "
                            "prints the relations that hold on every machine ('...: True' lines, no False)")
    return problems


def test_platform_sensitive_cells_have_a_portable_companion(notebook_path):
    problems = companion_problems(load(notebook_path)["cells"])
    assert not problems, f"{notebook_path.name}: " + "; ".join(problems)


def test_the_companion_check_notices_a_missing_or_false_relation():
    def code(text: str, tagged: bool = False) -> dict:
        return {"cell_type": "code", "source": "", "metadata": {"tags": [PLATFORM_SENSITIVE] if tagged else []},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}

    assert companion_problems([code("loss 0.31\n", True), code("loss falls: True\n")]) == []
    assert companion_problems([code("loss 0.31\n", True), code("loss 0.30\n")])
    assert companion_problems([code("loss 0.31\n", True), code("loss falls: True\nit converged: False\n")])


def figure_problems(cells: list[dict]) -> list[str]:
    """Every code cell that draws a figure carries the metadata that makes the
    page show a caption and alt text: mystnb.figure.caption and .name (fig-...),
    mystnb.image.alt; names are unique within the notebook."""
    problems, names = [], set()
    for index, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        if not figure_outputs(cell):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        caption = meta.get("figure", {}).get("caption", "")
        name = meta.get("figure", {}).get("name", "")
        alt = meta.get("image", {}).get("alt", "")
        if len(caption.split()) < 5:
            problems.append(f"code cell {index}: figure without a caption")
        if not name.startswith("fig-") or name in names:
            problems.append(f"code cell {index}: figure name {name!r} missing, not fig-..., or repeated")
        if len(alt.split()) < 8 or alt == caption:
            problems.append(f"code cell {index}: figure without real alt text")
        names.add(name)
    return problems


def test_figures_have_captions_and_alt_text(notebook_path):
    problems = figure_problems(load(notebook_path)["cells"])
    assert not problems, f"{notebook_path.name}: " + "; ".join(problems)


def test_the_figure_check_notices_missing_captions_and_alt_text():
    def drawn(metadata: dict) -> dict:
        return {"cell_type": "code", "source": "plt.show()", "metadata": metadata,
                "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR"}}]}

    good = {"mystnb": {"figure": {"caption": "The loss falls from 4.2 to 0.9 in 600 steps.", "name": "fig-loss"},
                       "image": {"alt": "Line chart of loss against step, falling from 4.2 to 0.9."}}}
    assert figure_problems([drawn(good)]) == []
    assert figure_problems([drawn({})])
    assert figure_problems([drawn(good), drawn(good)])           # the same name twice
    no_alt = {"mystnb": {"figure": good["mystnb"]["figure"]}}
    assert figure_problems([drawn(no_alt)])
