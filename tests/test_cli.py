import tinyctl.models.train
from tinyctl.cli import main
from tinyctl.models.errors import ModelsError
from tinyctl.targets import all_boards


def test_targets_command_lists_every_board(capsys):
    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    for name in (b.name for b in all_boards()):
        assert name in out


def test_train_verb_forwards_to_the_trainer(capsys):
    assert main(["train", "--help"]) == 0
    assert "--epochs" in capsys.readouterr().out
    assert main(["train", "--epochs", "zero"]) == 2
    assert "invalid int value" in capsys.readouterr().err


def test_help_lists_every_verb(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for verb in ("build", "validate", "targets", "inspect", "train", "doctor"):
        assert verb in out


def test_a_training_stack_error_is_one_line_and_exit_status_2(capsys, monkeypatch):
    def fail(argv):
        raise ModelsError("the mvtec train split of /data has no images", "check the folder holds image files")

    monkeypatch.setattr(tinyctl.models.train, "main", fail)
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert err == "error: the mvtec train split of /data has no images\n  hint: check the folder holds image files\n"
