"""The stakeholder parts of the HTML report: headline, readable labels, stored noise and hardware results."""

from workbench.analysis.html_report import build_report
from workbench.runs import RunStore
from workbench.spec.examples import small_synthetic_text


def _run(store, name, head, seed, acc, head_params, summary_extra=None):
    rid = store.create_run(name=name, spec_text=small_synthetic_text(), params={"head": head, "seed": seed,
                                                                                 "engine": "torch", "epochs": 2})
    summary = {"mean_test_accuracy": acc, "head_params": head_params, "test": {"task_0": {"accuracy": acc}}}
    summary.update(summary_extra or {})
    store.set_summary(rid, summary)
    store.set_status(rid, "finished")
    return rid


def test_headline_compares_qmtl_with_the_classical_head(tmp_path):
    store = RunStore(tmp_path / "runs")
    noise = {"noise": {"ideal (exact)": {"task_0": {"accuracy": 0.81, "macro_f1": 0.8}},
                       "fake_manila (256 shots)": {"task_0": {"accuracy": 0.74, "macro_f1": 0.7,
                                                              "accuracy_se": 0.02}}},
             "hardware": {"fake_guadalupe": {"status": "finished", "local": True, "shots": 256, "samples": 40,
                                             "mean_accuracy": 0.7, "jobs": ["job-1"],
                                             "ideal_accuracy": {"task_0": {"accuracy": 0.8}}}}}
    q1 = _run(store, "demo [qmtl]", "qmtl", 0, 0.80, 48, noise)
    q2 = _run(store, "demo [qmtl]", "qmtl", 1, 0.82, 48)
    c = _run(store, "demo [hps]", "hps", 0, 0.85, 350)
    html = build_report(store, [q1, q2, c])
    head = html[html.index("<h2>Headline</h2>"):html.index("<h2>Summary</h2>")]
    assert "QMTL reaches a mean test accuracy of <b>0.810</b>, 4.0 points below the classical HPS head (0.850)" \
        in head and "<b>48</b> head parameters against 350 (7.3× as many in the classical head)" in head
    assert "0.810 ± 0.014" in head and ">350<" in head
    assert "demo [qmtl] · seed 0" in html and "demo [hps] · seed 0" in html  # readable run labels
    assert "fake_manila (256 shots)" in html and "0.740 ± 0.020" in html  # stored noise results
    assert "Hardware runs" in html and "local testing mode" in html and "job-1" in html
    sections = html.split("<h2>")
    classical = next(s for s in sections if s.startswith("demo [hps]"))
    assert "Circuit resources" not in classical and "Circuit" not in classical
    assert "Circuit resources" in next(s for s in sections if s.startswith("demo [qmtl] · seed 0"))
