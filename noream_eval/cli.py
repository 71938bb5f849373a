"""The ``noream-eval`` command line.

Exit codes mean one thing everywhere: ``0`` done, ``2`` bad input or config
(the message says which file, row and column, and what to do), ``3`` internal
error (a defect to report; ``--debug`` shows the Python traceback). Interrupted
with Ctrl-C, a command stops with code 130 and leaves no output folder.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from noream_eval import __version__
from noream_eval.errors import NoreamEvalError

EXIT_OK, EXIT_INPUT, EXIT_INTERNAL = 0, 2, 3

app = typer.Typer(
    name="noream-eval",
    help=(
        "Analysis of the NOREAM pilot evaluation (families with No Recourse to Public Funds).\n\n"
        "Start with `noream-eval sample --out DIR` for synthetic data, then "
        "`noream-eval ingest DIR/evaluation.toml --out OUT`.\n\n"
        "Exit codes: 0 done, 2 bad input or config, 3 internal error."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"noream-eval {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="On an internal error, show the Python traceback (it may hold data)."
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


class _Progress:
    """Prints steps with elapsed time to stderr, with a bar while a source's files are read.

    The bar is drawn when stderr is a terminal; otherwise (a log file, CI) each
    source ends with one line of files and rows read. The current step is kept
    for the one-line report of an internal error.
    """

    def __init__(self, quiet: bool, step: str = "start-up", live: bool | None = None) -> None:
        self.quiet = quiet
        self.step = step
        self.t0 = time.perf_counter()
        self.live = (not quiet) and (sys.stderr.isatty() if live is None else live)
        self._bar: Any = None
        self._task: Any = None

    def _stamp(self) -> str:
        return f"[{time.perf_counter() - self.t0:6.1f}s]"

    def __call__(self, message: str) -> None:
        self._close()
        self.step = message
        if not self.quiet:
            typer.echo(f"{self._stamp()} {message} …", err=True)

    def _draw(self, done: int, total: int, label: str, **fields: str) -> None:
        """Draw or move the bar of the current step (a terminal only)."""
        if not (self.live and total > 1):
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("         {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(label),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.step, total=total, **fields)
        self._bar.update(self._task, completed=done, **fields)

    def advance(self, done: int, total: int, rows: int) -> None:
        """``done`` of ``total`` files of the current step read, ``rows`` raw rows so far."""
        if self.quiet:
            return
        self._draw(done, total, "files, {task.fields[rows]} raw rows", rows=f"{rows:,}")
        if done == total:
            self._close()
            files = f"{total} file" + ("s" if total > 1 else "")
            typer.echo(f"{self._stamp()}   {files} read ({rows:,} raw rows so far)", err=True)

    def bar(self, done: int, total: int, what: str) -> None:
        """``done`` of ``total`` items of a long step (figures, say) finished."""
        if self.quiet:
            return
        self._draw(done, total, what)
        if done == total:
            self._close()
            typer.echo(f"{self._stamp()}   {total} {what} done", err=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = self._task = None


@contextmanager
def _errors(progress: _Progress) -> Iterator[None]:
    """Turn expected failures into exit 2 and anything else into exit 3, in one line."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except (NoreamEvalError, FileExistsError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=EXIT_INPUT) from None
    except Exception:
        if _state["debug"]:
            typer.echo(
                "The traceback below may contain values from the data: do not share it.",
                err=True,
            )
            traceback.print_exc()
        typer.echo(
            f"internal error in {progress.step}; please report it with the command and the "
            "config, not the data (run again with --debug to see the traceback).",
            err=True,
        )
        raise typer.Exit(code=EXIT_INTERNAL) from None


@app.command()
def ingest(
    config: Annotated[
        Path, typer.Argument(help="Evaluation config (TOML) describing the exports.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the outputs to.")],
    force: Annotated[bool, typer.Option(help="Replace the output folder if it exists.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
) -> None:
    """Ingest raw LA exports into canonical tables.

    Writes one Parquet file per canonical table, rejects.csv (every raw row not
    kept, with file, row, column and reason; duplicates with the row they
    repeat), warnings, ingest_report.md/.json (rows read, kept, rejected and
    duplicates per file) and provenance.json. The output folder appears only
    when the whole run succeeded. The pseudonymisation key comes from
    NOREAM_EVAL_KEY or the config's key_file.
    """
    progress = _Progress(quiet)
    with _errors(progress):
        from noream_eval.ingest import load, write_outputs

        if out.exists() and not force:
            raise FileExistsError(f"{out} already exists; pass --force to replace it.")
        data = load(config, progress=progress)
        progress("writing outputs")
        write_outputs(data, out, force=force)
    for w in data.warnings.itertuples():
        typer.echo(f"warning: {w.message}", err=True)
    rep = data.ingest_report
    typer.echo(
        f"Ingested {int(rep['rows_read'].sum()):,} raw rows from {len(rep)} file(s): "
        f"{int(rep['rows_kept'].sum()):,} kept, {int(rep['rows_rejected'].sum()):,} rejected, "
        f"{int(rep['duplicates_exact'].sum() + rep['duplicates_near'].sum()):,} duplicates"
        + (f", {len(data.warnings)} warning(s)." if len(data.warnings) else ".")
    )
    for name, df in data.tables().items():
        typer.echo(f"  {name:<16} {len(df):>9,} rows")
    typer.echo(f"Outputs in {out}/ (start with {out / 'ingest_report.md'}).")


@app.command()
def metrics(
    config: Annotated[
        Path, typer.Argument(help="Evaluation config (TOML): exports and analysis plan.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the results to.")],
    force: Annotated[bool, typer.Option(help="Replace the output folder if it exists.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
) -> None:
    """Ingest the exports and compute every outcome indicator.

    Writes indicators.csv and indicators.parquet (one row per estimate, with
    its n, 95% CI, p-value, method and parameters), every supporting table as
    CSV and Parquet (monthly series, Kaplan-Meier tables, episodes, costs,
    wellbeing change, participant flow, evidence of promise, progression
    criteria, ...) and results.json (the analysis plan and provenance). These
    are unsuppressed analyst results: small counts are not yet hidden, so do
    not publish them as they are. The folder appears only when the whole run
    succeeded.
    """
    progress = _Progress(quiet)
    with _errors(progress):
        from noream_eval.config import load_config
        from noream_eval.ingest import load
        from noream_eval.metrics import compute_all

        if out.exists() and not force:
            raise FileExistsError(f"{out} already exists; pass --force to replace it.")
        cfg = load_config(config)
        data = load(cfg, progress=progress)
        results = compute_all(data, cfg, progress=progress)
        progress("writing results")
        results.to_dir(out, force=force)
    ind = results.indicators
    typer.echo(
        f"Computed {len(ind):,} indicator rows ({int(ind['indicator'].nunique())} indicators) "
        f"and {len(results.table_names)} supporting tables."
    )
    promise = results["evidence_of_promise"]
    pre = promise[promise["prespecified"]]
    if len(pre):
        typer.echo("Evidence of promise (pre-specified):")
        for row in pre.itertuples():
            typer.echo(f"  {row.indicator:<32} {row.rating}")
    caught = results["computation_warnings"]
    if len(caught):
        typer.echo(
            f"warning: {int(caught['count'].sum())} numerical warning(s) while computing; "
            f"see {out / 'computation_warnings.csv'}.",
            err=True,
        )
    prog = results["progression"]
    typer.echo("Progression criteria:")
    for row in prog.itertuples():
        typer.echo(f"  {row.criterion:<32} {row.rag}")
    typer.echo(f"Results in {out}/ (start with {out / 'indicators.csv'}).")


@app.command()
def run(
    config: Annotated[
        Path | None,
        typer.Argument(help="Evaluation config (TOML); left out, the synthetic sample is used."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the report to.")] = Path(
        "noream_report"
    ),
    force: Annotated[bool, typer.Option(help="Replace the output folder if it exists.")] = False,
    restricted: Annotated[
        bool,
        typer.Option(
            help="Also write the unsuppressed results to OUT/restricted/ (never to publish)."
        ),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
) -> None:
    """Run the whole evaluation: ingest, metrics, disclosure control and the report.

    Writes report.html (one self-contained file), report.docx, tables/ (every
    published table as CSV) and tables.xlsx, figures/ (PNG at 300 dpi and
    SVG), indicators.csv, evidence_of_promise.csv, progression.csv and
    manifest.json (every file with its SHA-256). Every published table and
    figure has passed disclosure control (counts below [parameters] min_cell
    shown as c). OUT/restricted/ holds the unsuppressed results for the
    analyst: never publish it (--no-restricted leaves it out). The folder
    appears only when the whole run succeeded.
    """
    progress = _Progress(quiet)
    with _errors(progress):
        from noream_eval.reports.run import run as run_report

        if config is None and not quiet:
            typer.echo("No config given: running on the synthetic sample.", err=True)
        result = run_report(config, out, force=force, restricted=restricted, progress=progress)
    primary, secondary = result.suppressed
    typer.echo(
        f"Report written in {time.perf_counter() - progress.t0:.1f}s: "
        f"{len(result.files)} files; disclosure control suppressed {primary} small count(s) "
        f"and {secondary} further cell(s)."
    )
    if result.promise is not None and len(result.promise):
        pre = result.promise[result.promise["prespecified"].astype(bool)]
        typer.echo("Evidence of promise (pre-specified):")
        for row in pre.itertuples():
            typer.echo(f"  {row.indicator:<32} {row.rating}")
    if result.progression is not None and len(result.progression):
        typer.echo("Progression criteria:")
        for row in result.progression.itertuples():
            typer.echo(f"  {row.criterion:<32} {row.rag}")
    typer.echo(f"Report: {out / 'report.html'} (also report.docx, tables.xlsx, figures/).")
    if restricted:
        typer.echo(f"Unsuppressed results for the analyst only: {out / 'restricted'}/.")


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the sample to.")],
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: the shipped one).")
    ] = None,
    families: Annotated[int | None, typer.Option(help="Number of families (default 411).")] = None,
    sites: Annotated[int, typer.Option(help="Number of local authorities.")] = 1,
    force: Annotated[bool, typer.Option(help="Overwrite a non-empty folder.")] = False,
) -> None:
    """Write a synthetic, messy NRPF export with known true effects.

    The folder receives the raw exports, evaluation.toml, a demo key (not a
    secret), truth.json and a README describing the truth and the injected mess.
    The default seed reproduces the shipped data/sample byte for byte.
    """
    progress = _Progress(quiet=True, step="generating the sample")
    t0 = time.perf_counter()
    with _errors(progress):
        from noream_eval.sample import DEFAULT_SEED, generate_sample

        if (families is not None and families < 1) or sites < 1:
            raise NoreamEvalError("--families and --sites must be at least 1.")
        generate_sample(
            out,
            seed=DEFAULT_SEED if seed is None else seed,
            n_families=families,
            n_sites=sites,
            force=force,
        )
    typer.echo(f"Sample written to {out}/ in {time.perf_counter() - t0:.1f}s.")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
