"""Every setting in config.toml is declared, with a default and a meaning."""

import tomllib

from archive import ROOT, settings


def test_every_key_in_config_toml_is_declared():
    with open(ROOT / "config.toml", "rb") as fh:
        keys = set(settings.flatten(tomllib.load(fh)))
    assert keys <= settings.declared_keys(), keys - settings.declared_keys()


def test_every_setting_has_a_meaning():
    for setting in settings.SETTINGS:
        assert setting.key == setting.key.upper()
        assert setting.meaning.strip()


def test_instance_and_config_come_from_the_environment(tmp_path, monkeypatch):
    from archive import create_app

    config = tmp_path / "site.toml"
    config.write_text('ITEMS_PER_PAGE = 7\n[MEDIA]\nAUDIO_BITRATE = "96k"\n')
    monkeypatch.setenv("ARCHIVE_CONFIG", str(config))
    monkeypatch.setenv("ARCHIVE_INSTANCE", str(tmp_path / "elsewhere"))
    app = create_app()
    assert app.config["ITEMS_PER_PAGE"] == 7
    assert app.config["MEDIA"]["AUDIO_BITRATE"] == "96k"
    assert app.config["MEDIA"]["MAX_UPLOAD_BYTES"] == 4 * 1024**3  # default kept
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["MEDIA"]["ROOT"] == str(tmp_path / "elsewhere" / "media")


def test_processes_starting_together_on_a_new_instance_share_one_secret_key(tmp_path):
    """A web server and its worker may both create the key: neither fails, both agree."""
    from concurrent.futures import ThreadPoolExecutor

    from archive import _secret_key

    instance = tmp_path / "instance"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: _secret_key(instance), range(32)))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert [p.name for p in instance.iterdir()] == ["secret_key"]
