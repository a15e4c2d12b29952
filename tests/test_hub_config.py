import shutil
from pathlib import Path

import pytest

from hub.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
TOWNS = {
    "xiashi", "haizhou", "haichang", "maqiao", "xucun", "changan",
    "zhouwangmiao", "yanguan", "xieqiao", "dingqiao", "yuanhua", "huangwan",
}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    return target


def test_shipped_configuration_holds_the_1_12_x_matrix():
    config = load_config(CONFIGS, environ={})
    matrix = config.matrix
    assert [s.code for s in matrix.roots] == ["jiaxing"]
    assert matrix["haining"].level == "branch"
    assert matrix.parent("haining").code == "jiaxing"
    towns = {s.code for s in matrix.subtree("haining") if s.level == "town"}
    assert towns == TOWNS
    rooms = [s for s in matrix.stations() if s.level == "room"]
    assert rooms and all(r.example for r in rooms)
    assert all("示例" in r.name for r in rooms)
    assert matrix["xiashi"].kind == "street" and matrix["xucun"].kind == "town"
    assert len(config.categories.categories) == 28
    assert config.categories.categories[0].name == "城乡规划建设"
    assert config.settings.port == 8080 and config.settings.host == "127.0.0.1"


def test_environment_overrides_settings():
    config = load_config(
        CONFIGS,
        environ={"LIAISON_HUB_PORT": "9001", "LIAISON_HUB_MEDIA__LOOPBACK_CANDIDATES": "false"},
    )
    assert config.settings.port == 9001
    assert config.settings.media.loopback_candidates is False
    assert config.base_url == "http://127.0.0.1:9001"


def test_embedded_default_database_is_sqlite_under_var():
    config = load_config(CONFIGS, environ={})
    assert config.database_url.startswith("sqlite:///")
    assert config.database_url.endswith("var/hub.db")


def test_unknown_key_names_file_line_and_key(config_dir: Path):
    path = config_dir / "hub.yaml"
    text = path.read_text().replace("port: 8080", "port: 8080\nprot: 8081")
    path.write_text(text)
    line = text.splitlines().index("prot: 8081") + 1
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert f"hub.yaml, line {line}: prot: unknown key" in str(exc.value)


def test_wrong_type_names_the_key(config_dir: Path):
    path = config_dir / "hub.yaml"
    path.write_text(path.read_text().replace("port: 8080", "port: eighty"))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "hub.yaml, line" in str(exc.value) and "port:" in str(exc.value)


def test_bad_yaml_names_line(config_dir: Path):
    path = config_dir / "matrix.yaml"
    path.write_text("stations:\n  - code: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "matrix.yaml, line" in str(exc.value) and "not valid YAML" in str(exc.value)


def test_duplicate_station_code_names_both_lines(config_dir: Path):
    path = config_dir / "matrix.yaml"
    text = path.read_text().replace("code: haizhou", "code: xiashi")
    path.write_text(text)
    lines = text.splitlines()
    second = [i + 1 for i, l in enumerate(lines) if l.strip() == "- code: xiashi"]
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    message = str(exc.value)
    assert f"line {second[1]}" in message and f"already used on line {second[0]}" in message


def test_invalid_station_level_is_refused(config_dir: Path):
    path = config_dir / "matrix.yaml"
    path.write_text(path.read_text().replace("level: branch", "level: county", 1))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "stations[0].children[0].level" in str(exc.value) and "county" in str(exc.value)


def test_child_of_higher_level_is_refused(config_dir: Path):
    path = config_dir / "matrix.yaml"
    path.write_text(
        "stations:\n  - code: xucun\n    name: a\n    name_en: a\n    level: town\n"
        "    children:\n      - code: haining\n        name: b\n        name_en: b\n        level: branch\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "children must be of a lower level" in str(exc.value)


def test_bad_station_code_is_refused(config_dir: Path):
    path = config_dir / "matrix.yaml"
    path.write_text(path.read_text().replace("code: xucun\n", "code: Xu Cun\n"))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "lowercase pinyin" in str(exc.value)


def test_duplicate_category_code_is_refused(config_dir: Path):
    path = config_dir / "categories.yaml"
    path.write_text(path.read_text().replace('code: "02"', 'code: "01"'))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "categories.yaml" in str(exc.value) and "appears twice" in str(exc.value)


def test_every_category_has_an_english_name():
    config = load_config(environ={})
    names = {c.code: c.name_en for c in config.categories.categories}
    assert len(names) == 28 and all(n.strip() for n in names.values())
    assert names["11"] == "Noise nuisance" and names["18"] == "Social security" and names["28"] == "Other"
    assert len(set(names.values())) == 28  # no two categories read alike in English


def test_a_category_without_an_english_name_is_refused(config_dir: Path):
    path = config_dir / "categories.yaml"
    text = path.read_text()
    path.write_text(text.replace('    name_en: "Noise nuisance"\n', ""))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "categories.yaml" in str(exc.value) and "name_en" in str(exc.value)
    path.write_text(text.replace('name_en: "Noise nuisance"', 'name_en: "   "'))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "name_en" in str(exc.value) and "blank" in str(exc.value)


def test_missing_file_is_named(config_dir: Path):
    (config_dir / "matrix.yaml").unlink()
    with pytest.raises(ConfigError, match="matrix.yaml: file not found"):
        load_config(config_dir, environ={})
