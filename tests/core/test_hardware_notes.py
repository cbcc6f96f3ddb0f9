"""A backend's warnings belong to that backend: listing opens every fake device, and one device's warning (e.g.
fake_nighthawk's "not typical") must not reach another device's pre-flight."""

from workbench.hardware.service import connect


def test_notes_are_kept_per_backend():
    provider = connect(local=True)
    provider.backends()  # opens all of them
    assert provider.notes_for("fake_manila") == []
    warned = provider.notes_for("fake_nighthawk")
    assert warned and all(n.startswith("fake_nighthawk: ") for n in warned)
    assert provider.notes_for("FakeNighthawk") == warned  # the same backend by its class name


def test_a_second_provider_in_the_process_keeps_the_notes():
    # fake_nighthawk warns only the first time it is built in a process (the warm worker builds many providers)
    first = connect(local=True)
    first.backend("fake_nighthawk")
    again = connect(local=True)
    again.backend("fake_nighthawk")
    assert again.notes_for("fake_nighthawk") == first.notes_for("fake_nighthawk") != []
