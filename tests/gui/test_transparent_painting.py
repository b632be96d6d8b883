"""A painting dropped with transparent parts: they are no part of its style (issue 29)."""

from __future__ import annotations

import numpy as np
from brushwork.engine.settings.style_params import StyleParams
from brushwork.gui.persist.autosave import Autosave

from tests.conftest import make_photo
from tests.gui.conftest import SLOW, click, load_both
from tests.test_transparent_paintings import cut_out, white_share


def test_a_dropped_cut_out_painting_paints_no_white(qtbot, window, tmp_path, image_paths):
    photo, _ = image_paths
    painting = tmp_path / "cut.png"
    cut_out().save(painting)
    load_both(qtbot, window, (photo, painting))
    window.set_params(window.editor.current.replace(size=64, steps=40))
    with qtbot.waitSignal(window.controller.run_finished, timeout=SLOW):
        click(qtbot, window.start_button)
    # Composited onto white on loading, the transparent two thirds were style: 30 % of the picture was white.
    assert white_share(window.picture) < 0.01


def test_the_autosave_keeps_a_paintings_transparency(tmp_path):
    live = Autosave(tmp_path / "autosave")
    live.begin_run(make_photo(64, 48), (cut_out(),), None, (None,), StyleParams(size=64, steps=40))
    recovered = live.recover().styles[0]
    assert recovered.mode == "RGBA" and np.array_equal(np.asarray(recovered), np.asarray(cut_out()))
