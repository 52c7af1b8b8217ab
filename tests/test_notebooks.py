"""Each chapter notebook, as committed, is one a reader can trust.

nbval (run on the same files) proves the stored outputs are what the code
prints today; these tests prove the stored file itself is sound: run top to
bottom, errors only where meant, the shared first cell, no network, no paths
of the machine that made it, and the chapter's fixed parts.
"""

import re

from book import code_cells, load, markdown, output_texts, source, tags

# The shared first cell: each line must appear in it, as written.
SETUP_PATTERN = [
    'if "google.colab" in sys.modules:',
    "torch.manual_seed(SEED)",
    "torch.use_deterministic_algorithms(True)",
    "torch.set_num_threads(1)",
    "torch.set_printoptions(precision=4, sci_mode=False)",
    'get_ipython().InteractiveTB.set_mode(mode="Minimal")',
    'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
    "print(f\"torch {torch.__version__.split('+')[0]} on {device}\")",
]

# Code that would reach the network at run time. (The Colab-only install in
# the first cell is checked separately.)
NETWORK = re.compile(
    r"https?://|urllib|requests\.|socket\.|download\s*=\s*True|torch\.hub|load_state_dict_from_url"
    r"|pretrained\s*=\s*True|weights\s*=\s*['\"]?\w*DEFAULT|fetch_openml|from_pretrained"
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
    assert None not in counts, f"{notebook_path.name}: {counts.count(None)} code cell(s) never executed; run `make execute NB={notebook_path.relative_to(notebook_path.parents[1])}`"
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
        assert meant or not errors, f"{notebook_path.name} cell {index}: error {errors[0]['ename']} in a cell not tagged raises-exception"
        assert errors or not meant, f"{notebook_path.name} cell {index}: tagged raises-exception but raised nothing"


def test_no_warnings_printed(notebook_path):
    """stderr carries kernel temp paths and run-to-run noise; a chapter prints no warnings."""
    for index, cell in enumerate(load(notebook_path)["cells"]):
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", (
                f"{notebook_path.name} cell {index} wrote to stderr: {source({'source': output['text']})[:200]!r}"
            )


def test_first_code_cell_is_the_shared_setup(notebook_path):
    first = source(code_cells(load(notebook_path))[0])
    missing = [line for line in SETUP_PATTERN if line not in first]
    assert not missing, f"{notebook_path.name}: the first code cell lacks the shared setup line(s) {missing}"


def test_installs_happen_only_in_colab(notebook_path):
    cells = code_cells(load(notebook_path))
    for index, cell in enumerate(cells):
        for line in source(cell).splitlines():
            if re.search(r"pip install|conda install|apt-get", line):
                guarded = index == 0 and line.startswith("    ") and 'if "google.colab" in sys.modules:' in source(cell)
                assert guarded, f"{notebook_path.name}: install outside the Colab guard of the first cell: {line.strip()!r}"


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
            assert not found, f"{notebook_path.name} cell {index}: machine path {found.group(0)!r} in {text[max(0, found.start() - 60):found.end() + 60]!r}"


def test_no_output_hidden_from_nbval(notebook_path):
    for index, cell in enumerate(load(notebook_path)["cells"]):
        hidden = OUTPUT_HIDING.search(source(cell) + " ".join(tags(cell)))
        assert not hidden, f"{notebook_path.name} cell {index}: {hidden.group(0)} hides output from the tests; make the output reproducible instead"


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
