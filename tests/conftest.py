import os

# Qt must be headless before anything imports it.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PIL import Image, ImageDraw


def make_photo(width: int = 64, height: int = 48) -> Image.Image:
    """A small synthetic 'photo': a colour gradient with a few shapes on it."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x / width, y / height, 1 - x / width * 0.5], axis=-1)
    image = Image.fromarray((rgb * 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.2, height * 0.2, width * 0.6, height * 0.8), fill=(200, 40, 40))
    draw.rectangle((width * 0.65, height * 0.1, width * 0.9, height * 0.5), fill=(30, 30, 160))
    return image


def make_painting(width: int = 56, height: int = 56, seed: int = 1) -> Image.Image:
    """A small synthetic 'painting': diagonal stripes with coloured noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    stripes = (np.sin((x + y) / 3.0) > 0).astype(float)
    rgb = np.stack([0.9 * stripes, 0.7 * (1 - stripes), 0.3 + 0.4 * stripes], axis=-1)
    rgb = np.clip(rgb + rng.normal(0, 0.08, rgb.shape), 0, 1)
    return Image.fromarray((rgb * 255).astype(np.uint8), "RGB")


@pytest.fixture(autouse=True)
def own_app_data(tmp_path_factory, monkeypatch):
    """brushwork-render keeps what runs took in the app-data folder (engine.run.time_history): in a test's
    own, not the user's, and no test's estimate rests on another's runs."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("app-data")))


@pytest.fixture
def steady_threads(monkeypatch):
    """The engine keeps its thread count whatever else the machine runs (``engine.run.core_share``).

    For tests that compare two runs' numbers: a busy machine made the engine give a core away part-way
    through one run and not the other, and the rounding of a different thread count sent L-BFGS down
    another path (bfloat16 against float32: 6 % apart with two busy loops beside the test, under 5 % quiet).
    """
    from brushwork.engine.run import core_share

    monkeypatch.setattr(core_share, "_machine_and_own_ticks", lambda: None)


@pytest.fixture
def photo() -> Image.Image:
    return make_photo()


@pytest.fixture
def painting() -> Image.Image:
    return make_painting()


@pytest.fixture
def image_files(tmp_path, photo, painting):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    photo.save(content)
    painting.save(style)
    return content, style


@pytest.fixture(scope="session")
def oxford():
    from brushwork.engine.network.vgg_weights import load_weights

    return load_weights("oxford")


def fit_a_small_loupe(monkeypatch, settle_seconds: float) -> None:
    """A 32 px loupe with 8 px of context fits a 96 px picture, every step counts as slow, and the loupe lets
    go after three steps once the artist has left the settings alone for ``settle_seconds``."""
    from brushwork.engine.run import loupe, style_transfer

    settings = {"MIN_LOUPE": 32, "MAX_LOUPE": 32, "CONTEXT": 8, "SLOW_STEP_SECONDS": 0.0}
    settings |= {"SETTLE_SECONDS": settle_seconds, "MIN_LOUPE_STEPS": 3, "MAX_LOUPE_STEPS": 3}
    for name, value in settings.items():
        monkeypatch.setattr(loupe, name, value)
    monkeypatch.setattr(style_transfer, "PREVIEW_INTERVAL", 0.0)  # a frame with every step
