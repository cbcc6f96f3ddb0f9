"""``python -m tests.support.demo_hardware``: the hardware panel on a tiny trained run with two finished local
jobs and a failed one in its monitor (for looking at the panel by hand and for screenshots)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from workbench.runs import RunStore


def demo_run() -> tuple[RunStore, str]:
    from qiskit_ibm_runtime.fake_provider import FakeQuitoV2

    from workbench.hardware.errors import HardwareError
    from workbench.hardware.qmtl import HardwareSettings, execute_plan, make_plan
    from workbench.hardware.service import connect
    from workbench.spec.examples import small_synthetic
    from workbench.training import train

    root = Path(tempfile.mkdtemp(prefix="qmtl-hw-demo-"))
    store = RunStore(root / "runs")
    rid = train(small_synthetic(name="hardware-demo"), store, base_dir=root).run_id
    provider = connect(local=True)
    execute_plan(store, make_plan(store, rid, provider, HardwareSettings("fake_manila", samples=16, shots=256)))

    class FaultyQuito(FakeQuitoV2):
        def run(self, *args, **kwargs):
            raise RuntimeError("simulated QPU fault: readout chain lost")

    try:
        execute_plan(store, make_plan(store, rid, provider, HardwareSettings("fake_quito", samples=8, shots=128),
                                      backend=FaultyQuito()))
    except HardwareError:
        pass
    return store, rid


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from workbench.gui.common.theme import apply_theme
    from workbench.gui.hardware.panel import HardwarePanel

    store, rid = demo_run()
    app = QApplication.instance() or QApplication(sys.argv)
    apply_theme(app, "light")
    w = HardwarePanel(store)
    w.setWindowTitle("Hardware")
    w.resize(1150, 640)
    w.set_run(rid)
    w.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
