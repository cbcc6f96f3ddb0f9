"""Reports: the workbench and ``qmtl report`` write the same self-contained HTML with the run's metrics."""

from __future__ import annotations

import base64
import re

from workbench.analysis.html_report import build_report
from workbench.cli import main as qmtl
from workbench.gui.report.report import ReportPreview, write_report
from workbench.gui.training.bench import bench_spec_text, make_fake_run
from workbench.runs import RunStore


def _store(tmp_path):
    store = RunStore(tmp_path / "runs")
    a = make_fake_run(store, "digits [qmtl]", seed=1, epochs=4, offset=0.05, tags=["paper"])
    b = make_fake_run(store, "digits [hps]", seed=2, epochs=4, head="hps", spec_text=bench_spec_text(samples=800))
    return store, a, b


def test_gui_report_of_a_run_has_its_metrics_plots_and_circuit(qtbot, tmp_path):
    store, a, _ = _store(tmp_path)
    path = write_report(store, [a], tmp_path / "r.html")
    text = path.read_text()
    info = store.get(a)
    assert a in text and "digits [qmtl]" in text and "paper" in text
    assert f"{info.summary['mean_test_accuracy']:.3f}" in text  # 0.850
    for task in ("task_0", "task_1"):
        assert task in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 2, "training curves and the circuit picture are inline"
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert 'alt="circuit of' in text and "samples = 600" in text  # the circuit and the spec
    preview = ReportPreview(path)
    qtbot.addWidget(preview)
    assert "Test metrics" in preview.view.toPlainText()


def test_comparison_report_and_cli_agree(tmp_path, capsys):
    store, a, b = _store(tmp_path)
    html = build_report(store, [a, b])
    assert "Comparison of 2 runs" in html and "Spec diff" in html and "samples = 800" in html
    out = tmp_path / "cli.html"
    assert qmtl(["report", a[:18], b, "--runs-dir", str(store.root), "--out", str(out)]) == 0
    cli = out.read_text()
    assert a in cli and b in cli and "mean test accuracy" in cli and "Spec diff" in cli
    assert qmtl(["report", "nope", "--runs-dir", str(store.root), "--out", str(out)]) == 2
    assert "no run matches" in capsys.readouterr().err
