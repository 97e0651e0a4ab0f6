"""``make manual``: the staff manual built from the running product.

1. Checks that the manual (``docs/manual``) and the walks (``onthaal.help.walks``) agree: every
   screenshot a step names is taken by a walk, every walk is a task of its role's manual.
2. Starts the demo municipality on a free port in a temporary data dir (prepared like the
   practice environment: walk-in open all day today), never the install's database.
3. Walks every task in Debian's Chromium (Playwright): screenshots with the step's element
   outlined; a video of the ten most common tasks, with Dutch captions (WebVTT) from the steps.
4. Writes the HTML per role and language, one PDF per role and language, and one A4
   instruction sheet per task (WeasyPrint).

A walk that breaks stops the build with a message naming the task and the step, and exit 1.

    python -m onthaal.help.build [--out DIR] [--tasks ID,ID] [--no-video]

Videos need Playwright's screen recorder, an ffmpeg: Debian's (``apt-get install ffmpeg``) is
given to Playwright in a directory of its own (``PLAYWRIGHT_BROWSERS_PATH``); no browser or
tool is downloaded.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from onthaal.help import manual
from onthaal.help.walker import VIEWPORT, Walker, WalkFailed, WalkResult
from onthaal.help.walks import WALKS, Walk

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DEMO_PASSWORD = "zonnedoorn-demo"  # noqa: S105 -- the demo accounts' (only with DEBUG on)
REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "docs" / "manual"
CSS = Path(__file__).with_name("print.css")


class BuildFailed(Exception):
    pass


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def check(source: Path, walks: tuple[Walk, ...]) -> None:
    """The manual and the walks agree, before anything is started."""
    taken = {step.shot for walk in walks for step in walk.steps if step.shot}
    for lang in manual.LANGUAGES:
        for document in manual.load_all(source, lang=lang):
            for task in document.tasks:
                for step in task.steps:
                    if step.shot is None:
                        raise BuildFailed(
                            f"task '{task.id}' ({document.role}, {lang}) step {step.number} "
                            "names no screenshot"
                        )
                    if step.shot not in taken:
                        raise BuildFailed(
                            f"task '{task.id}' ({document.role}, {lang}) step {step.number} "
                            f"names the screenshot {step.shot}, which no walk takes"
                        )
    for walk in walks:
        for role in (walk.role, *walk.extra_roles):
            found = manual.load(source, lang="nl", role=role)
            if found is None or found.task(walk.task) is None:
                raise BuildFailed(f"task '{walk.task}' is walked but not in the {role} manual")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _onthaal(*args: str) -> list[str]:
    return [sys.executable, "-m", "onthaal.cli", *args]


@contextmanager
def demo_instance(port: int) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo on ``port`` in a temporary data dir, prepared as the practice environment is
    (served without its banner). Yields its base URL and environment."""
    data = Path(tempfile.mkdtemp(prefix="onthaal-manual-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "ONTHAAL_PRACTICE", "EMAIL_HOST")
    }
    env.update(DEBUG="1", ONTHAAL_DATA_DIR=str(data), ONTHAAL_PRACTICE_DIR=str(data))
    server = None
    try:
        prepared = subprocess.run(  # noqa: S603 -- our own command
            _onthaal("practice", "--no-serve", "--port", str(port)),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if prepared.returncode:
            raise BuildFailed(f"the demo could not be prepared:\n{prepared.stderr[-2000:]}")
        server = subprocess.Popen(  # noqa: S603 -- our own command
            _onthaal("serve", "--port", str(port)),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/staff/login/", timeout=5):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise BuildFailed("the demo server did not start") from None
                time.sleep(0.5)
        yield base, env
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def _running(base_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A demo that runs already (``--base-url``), on the data dir of this environment."""
    yield base_url, dict(os.environ)


def enrolment_code(env: dict[str, str]) -> Callable[[str], str]:
    """A function giving a fresh enrolment code for the demo kiosk of a location."""
    kiosks = {"administratief-centrum": "kiosk-ac-1"}

    def code(location: str) -> str:
        done = subprocess.run(  # noqa: S603 -- our own command
            _onthaal("device", "enrol", kiosks[location]),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.search(r"enrolment code (\S+)", done.stdout)
        if not found:
            raise BuildFailed(f"no enrolment code for {kiosks[location]}: {done.stdout}")
        return found.group(1)

    return code


@contextmanager
def recorder_path() -> Iterator[None]:
    """Playwright's video recorder is an ffmpeg in its browsers directory: Debian's, linked
    into a directory of our own. Without it, no video (and the build says so)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        yield
        return
    import playwright

    browsers = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    revision = next(
        b["revision"] for b in json.loads(browsers.read_text())["browsers"] if b["name"] == "ffmpeg"
    )
    folder = Path(tempfile.mkdtemp(prefix="onthaal-playwright-"))
    (folder / f"ffmpeg-{revision}").mkdir()
    (folder / f"ffmpeg-{revision}" / "ffmpeg-linux").symlink_to(ffmpeg)
    before = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PLAYWRIGHT_BROWSERS_PATH", None)
        else:
            os.environ["PLAYWRIGHT_BROWSERS_PATH"] = before
        shutil.rmtree(folder, ignore_errors=True)


def walk_all(
    base: str,
    walks: tuple[Walk, ...],
    out: Path,
    *,
    password: str,
    video: bool,
    enrol: Callable[[str], str] | None = None,
    files: Path | None = None,
    videos: set[str] | None = None,
) -> list[WalkResult]:
    """Walk each task; the first that breaks raises ``BuildFailed`` naming it."""
    from playwright.sync_api import sync_playwright

    (out / "shots").mkdir(parents=True, exist_ok=True)
    video_dir = Path(tempfile.mkdtemp(prefix="onthaal-videos-"))
    results = []
    with recorder_path(), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        walker = Walker(
            browser,
            base,
            password=password,
            shots_dir=out / "shots",
            video_dir=video_dir,
            files_dir=files,
            enrolment_code=enrol,
        )
        try:
            for walk in walks:
                started = time.monotonic()
                try:
                    record = video and walk.video and (videos is None or walk.task in videos)
                    result = walker.run(walk, record=record)
                except WalkFailed as failed:
                    raise BuildFailed(str(failed)) from None
                if result.video is not None:
                    (out / "videos").mkdir(exist_ok=True)
                    shutil.move(result.video, out / "videos" / f"{walk.task}.webm")
                say(
                    f"  {walk.task}: {len(result.shots)} screenshots"
                    f"{', video' if result.video else ''} ({time.monotonic() - started:.1f} s)"
                )
                results.append(result)
        finally:
            browser.close()
            shutil.rmtree(video_dir, ignore_errors=True)
    return results


def _timestamp(seconds: float) -> str:
    millis = round(max(seconds, 0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def captions(result: WalkResult, steps: dict[str, manual.Step]) -> str:
    """The WebVTT captions of a walk's video: each step's Dutch text while it is shown."""
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(result.cues, start=1):
        step = steps.get(cue.shot)
        if step is None:
            continue
        lines += [
            str(number),
            f"{_timestamp(cue.start)} --> {_timestamp(max(cue.end, cue.start + 1))}",
            f"{step.number}. {step.text}",
            "",
        ]
    return "\n".join(lines) + "\n"


def _document(title: str, body: str, lang: str, css: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{css}</style></head>"
        f"<body>{body}</body></html>"
    )


SHEET_LABEL = {"nl": "Instructiefiche", "fr": "Fiche d'instruction"}
BUILT_LABEL = {
    "nl": "Schermafbeeldingen gemaakt in de demogemeente Zonnedoorn op {date}.",
    "fr": "Captures d'écran faites dans la commune de démonstration Zonnedoorn le {date}.",
}
VIDEO_LABEL = {"nl": "Video (ondertiteld)", "fr": "Vidéo (sous-titrée en néerlandais)"}


def publish(out: Path, source: Path, *, pdf: bool, only: set[str] | None = None) -> list[Path]:
    """HTML per role and language; PDFs per role and per task (sheets). With ``only``, the
    sheets of those tasks, and a role's pages only when all their screenshots were taken."""
    from weasyprint import HTML

    css = CSS.read_text(encoding="utf-8")
    shots = out / "shots"
    written: list[Path] = []
    sheets_done: set[tuple[str, str]] = set()  # a task in two manuals (two-step): one sheet
    for lang in manual.LANGUAGES:
        for document in manual.load_all(source, lang=lang):
            complete = all(
                (shots / f"{step.shot}.png").is_file() for t in document.tasks for step in t.steps
            )
            for task in document.tasks:
                if (only is not None and task.id not in only) or (lang, task.id) in sheets_done:
                    continue
                sheets_done.add((lang, task.id))
                sheet = out / "sheets" / lang / f"{task.id}.pdf"
                if pdf:
                    body = (
                        f'<div class="sheet"><p class="kicker">{SHEET_LABEL[lang]} · '
                        f"{html.escape(document.title)}</p>"
                        + manual.render(task.markdown, lambda n: (shots / f"{n}.png").as_uri())
                        + "</div>"
                    )
                    sheet.parent.mkdir(parents=True, exist_ok=True)
                    HTML(string=_document(task.title, body, lang, css)).write_pdf(sheet)
                    written.append(sheet)
            if not complete:
                continue
            slug = manual.file_name(document.role).removesuffix(".md")
            body = _role_body(document, out, lang, lambda n: f"../../shots/{n}.png")
            page = out / "html" / lang / f"{slug}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(_document(document.title, body, lang, css), encoding="utf-8")
            written.append(page)
            if pdf:
                target = out / "pdf" / lang / f"{slug}.pdf"
                target.parent.mkdir(parents=True, exist_ok=True)
                body = _role_body(document, None, lang, lambda n: (shots / f"{n}.png").as_uri())
                HTML(string=_document(document.title, body, lang, css)).write_pdf(target)
                written.append(target)
    return written


def _role_body(
    document: manual.Manual, out: Path | None, lang: str, shot_url: manual.ShotUrl
) -> str:
    parts = [
        f'<div class="manual"><h1>{html.escape(document.title)}</h1>',
        manual.render(document.intro, shot_url),
        "<ol class='toc'>",
        *(f'<li><a href="#{t.id}">{html.escape(t.title)}</a></li>' for t in document.tasks),
        "</ol>",
        f'<p class="built">{BUILT_LABEL[lang].format(date=time.strftime("%Y-%m-%d"))}</p>',
    ]
    for task in document.tasks:
        parts.append(f'<section class="task">{manual.render(task.markdown, shot_url)}')
        if out is not None and (out / "videos" / f"{task.id}.webm").is_file():
            parts.append(
                f'<p>{VIDEO_LABEL[lang]}</p><video controls preload="none" '
                f'src="../../videos/{task.id}.webm"><track kind="captions" srclang="nl" '
                f'label="Nederlands" src="../../videos/{task.id}.nl.vtt" default></video>'
            )
        parts.append("</section>")
    parts.append("</div>")
    return "".join(parts)


def build(
    out: Path,
    *,
    tasks: set[str] | None = None,
    video: bool = True,
    videos: set[str] | None = None,
    pdf: bool = True,
    source: Path = SOURCE,
    walks: tuple[Walk, ...] = WALKS,
    base_url: str = "",
) -> float:
    """Build the manual into ``out``; the seconds it took."""
    started = time.monotonic()
    check(source, walks)
    chosen = tuple(w for w in walks if tasks is None or w.task in tasks)
    if tasks is not None and {w.task for w in chosen} != tasks:
        raise BuildFailed(f"no walk for {sorted(tasks - {w.task for w in chosen})}")
    recorded = {w.task for w in walks if w.video}
    if videos is not None and not videos <= recorded:
        raise BuildFailed(f"no recorded walk for {sorted(videos - recorded)}")
    if video and shutil.which("ffmpeg") is None:
        say("manual: no ffmpeg (apt-get install ffmpeg): building without videos")
        video = False
    out.mkdir(parents=True, exist_ok=True)
    files = Path(tempfile.mkdtemp(prefix="onthaal-manual-files-"))
    from onthaal.mail.samples import text_pdf

    (files / "brief-verhuis.pdf").write_bytes(
        text_pdf("Geachte, ik verhuis op 1 mei naar de Kerkstraat 12.", "Jan Peeters")
    )
    try:
        say(f"manual: starting the demo ({len(chosen)} tasks to walk)")
        instance = demo_instance(free_port()) if not base_url else _running(base_url)
        with instance as (base, env):
            say(f"manual: demo ready after {time.monotonic() - started:.0f} s; walking")
            results = walk_all(
                base,
                chosen,
                out,
                password=DEMO_PASSWORD,
                video=video,
                enrol=enrolment_code(env),
                files=files,
                videos=videos,
            )
    finally:
        shutil.rmtree(files, ignore_errors=True)
    nl_steps = {
        step.shot: step
        for document in manual.load_all(source, lang="nl")
        for task in document.tasks
        for step in task.steps
        if step.shot
    }
    for result in results:
        if result.cues and (out / "videos" / f"{result.walk.task}.webm").is_file():
            vtt = out / "videos" / f"{result.walk.task}.nl.vtt"
            vtt.write_text(captions(result, nl_steps), encoding="utf-8")
    say("manual: writing HTML and PDF")
    publish(out, source, pdf=pdf, only=tasks)
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "tasks": [r.walk.task for r in results],
                "videos": sorted(p.stem for p in (out / "videos").glob("*.webm")),
                "viewport": VIEWPORT,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make manual", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(
            os.environ.get("ONTHAAL_MANUAL_DIR")
            or Path(os.environ.get("ONTHAAL_DATA_DIR") or "var") / "manual"
        ),
    )
    parser.add_argument("--tasks", help="only these tasks (ids, comma-separated)")
    parser.add_argument("--no-video", action="store_true")
    parser.add_argument(
        "--videos", help="record only these of the recorded tasks (ids, comma-separated)"
    )
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument(
        "--base-url",
        default="",
        help="walk a demo that runs already (with DEBUG, on this ONTHAAL_DATA_DIR), e.g. "
        "one of `onthaal practice`, instead of starting one",
    )
    args = parser.parse_args(argv)
    tasks = set(args.tasks.split(",")) if args.tasks else None
    try:
        seconds = build(
            args.out.resolve(),
            tasks=tasks,
            video=not args.no_video,
            videos=set(args.videos.split(",")) if args.videos else None,
            pdf=not args.no_pdf,
            base_url=args.base_url,
        )
    except BuildFailed as failed:
        sys.stderr.write(f"manual: FAILED — {failed}\n")
        return 1
    say(f"manual: built in {seconds:.0f} s into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
