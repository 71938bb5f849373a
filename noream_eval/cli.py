"""The ``noream-eval`` command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from noream_eval.errors import NoreamEvalError

app = typer.Typer(
    name="noream-eval",
    help=(
        "Analysis of the NOREAM pilot evaluation (families with No Recourse to Public Funds).\n\n"
        "Start with `noream-eval sample --out DIR` for synthetic data, then "
        "`noream-eval ingest DIR/evaluation.toml --out OUT`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Progress:
    """Prints steps with elapsed time to stderr."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            typer.echo(f"[{time.perf_counter() - self.t0:6.1f}s] {message} …", err=True)


def _fail(exc: BaseException) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


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
    kept, with file, row, column and reason), ingest_report.md/.json (rows read,
    kept, rejected and duplicates per file) and provenance.json. The output
    folder appears only when the whole run succeeded. The pseudonymisation key
    comes from NOREAM_EVAL_KEY or the config's key_file.
    """
    from noream_eval.ingest import load, write_outputs

    progress = _Progress(quiet)
    try:
        if out.exists() and not force:
            raise FileExistsError(f"{out} already exists; pass --force to replace it.")
        data = load(config, progress=progress)
        progress("writing outputs")
        write_outputs(data, out, force=force)
    except (NoreamEvalError, FileExistsError) as exc:
        _fail(exc)
    rep = data.ingest_report
    typer.echo(
        f"Ingested {int(rep['rows_read'].sum()):,} raw rows from {len(rep)} file(s): "
        f"{int(rep['rows_kept'].sum()):,} kept, {int(rep['rows_rejected'].sum()):,} rejected, "
        f"{int(rep['duplicates_exact'].sum() + rep['duplicates_near'].sum()):,} duplicates."
    )
    for name, df in data.tables().items():
        typer.echo(f"  {name:<16} {len(df):>9,} rows")
    typer.echo(f"Outputs in {out}/ (start with {out / 'ingest_report.md'}).")


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the sample to.")],
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default: the shipped one).")
    ] = None,
    families: Annotated[
        int | None, typer.Option(help="Number of families (default about 270).")
    ] = None,
    sites: Annotated[int, typer.Option(help="Number of local authorities.")] = 1,
    force: Annotated[bool, typer.Option(help="Overwrite a non-empty folder.")] = False,
) -> None:
    """Write a synthetic, messy NRPF export with known true effects.

    The folder receives the raw exports, evaluation.toml, a demo key (not a
    secret), truth.json and a README describing the truth and the injected mess.
    The default seed reproduces the shipped data/sample byte for byte.
    """
    from noream_eval.sample import DEFAULT_SEED, generate_sample

    t0 = time.perf_counter()
    try:
        generate_sample(
            out,
            seed=DEFAULT_SEED if seed is None else seed,
            n_families=families,
            n_sites=sites,
            force=force,
        )
    except (NoreamEvalError, FileExistsError, ValueError) as exc:
        _fail(exc)
    typer.echo(f"Sample written to {out}/ in {time.perf_counter() - t0:.1f}s.")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
