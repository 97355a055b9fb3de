"""apps.schedule.density: dense runs fold into stacks, quiet ones keep their lanes."""

from dataclasses import dataclass, field

from apps.schedule.density import clusters, fold, mark_frozen


@dataclass
class Item:
    name: str
    start: int
    end: int
    collisions: list = field(default_factory=list)


def _fold(items, **options):
    defaults = {"lanes": 2, "bucket": 4}
    return fold(
        items,
        start=lambda item: item.start,
        end=lambda item: item.end,
        order=lambda item: (item.start, -(item.end - item.start), item.name),
        **(defaults | options),
    )


def test_clusters_are_runs_of_overlap_and_touching_items_do_not_overlap():
    items = [Item("a", 1, 5), Item("b", 3, 9), Item("c", 9, 10), Item("d", 20, 21), Item("e", 8, 9)]
    runs = clusters(items, lambda item: item.start, lambda item: item.end)
    assert [[item.name for item in run] for run in runs] == [["a", "b", "e"], ["c"], ["d"]]


def test_quiet_runs_keep_their_lanes_and_no_stack_is_made():
    folded = _fold([Item("a", 1, 5), Item("b", 2, 6), Item("c", 5, 7)])
    assert [(item.name, lane) for item, lane in folded.shown] == [("a", 1), ("b", 2), ("c", 1)]
    assert folded.stacks == [] and folded.lanes == 2


def test_a_run_needing_more_lanes_folds_into_stacks_by_bucket_of_its_start():
    # Three at once need three lanes, one more than allowed: the whole run is stacked, by hour (4 rows from row 1).
    items = [Item("a", 1, 6), Item("b", 2, 7), Item("c", 3, 8), Item("d", 5, 9), Item("e", 9, 10)]
    folded = _fold(items)
    assert folded.shown == [(items[4], 1)]  # touches the run's end: not part of it
    assert [(stack.first, [item.name for item in stack.items]) for stack in folded.stacks] == [
        (1, ["a", "b", "c"]),
        (5, ["d"]),
    ]
    assert sum(stack.count for stack in folded.stacks) == 4


def test_a_stack_reaches_as_far_as_its_items_run_but_not_over_the_next_stack():
    items = [Item(f"long{n}", 1, 12) for n in range(3)] + [Item(f"x{n}", 13, 14) for n in range(3)]
    first, second = _fold(items).stacks
    assert (first.first, first.size) == (1, 11)  # to row 12, the run's end
    assert (second.first, second.size) == (13, 4)  # at least one bucket
    items = [Item(f"long{n}", 1, 12) for n in range(3)] + [Item(f"y{n}", 6, 7) for n in range(3)]
    first, second = _fold(items).stacks
    assert (first.first, first.size, second.first) == (1, 4, 5)  # cut where the next one starts


def test_crowd_stacks_a_run_of_many_items_even_when_its_lanes_fit():
    items = [Item(f"n{n}", 1 + n, 3 + n) for n in range(9)]  # a chain: two lanes, nine items
    assert _fold(items).stacks == []
    folded = _fold(items, crowd=8, bucket=24)
    assert folded.shown == [] and [stack.count for stack in folded.stacks] == [9]


def test_a_quiet_run_under_a_stack_joins_it_so_nothing_hides_beneath():
    quiet = Item("quiet", 1, 2)  # 00:00–00:15, alone
    dense = [Item(f"d{n}", 3, 4) for n in range(3)]  # 00:30, three at once
    folded = _fold([quiet, *dense])
    assert folded.shown == []
    [stack] = folded.stacks
    assert [item.name for item in stack.items] == ["quiet", "d0", "d1", "d2"]


def test_stacks_count_collisions_and_name_the_freezes_over_them():
    items = [Item("a", 1, 3, ["x"]), Item("b", 1, 3), Item("c", 1, 3, ["y"]), Item("d", 9, 10), Item("e", 9, 10)]
    folded = _fold(items, lanes=1)
    mark_frozen(folded.stacks, [(2, 4, "Payroll"), (5, 7, "Later"), (0, 50, "Quarter")])
    first, second = folded.stacks
    assert (first.first, first.count, first.collisions, first.frozen) == (1, 3, 2, ["Payroll", "Quarter"])
    assert (second.first, second.count, second.collisions, second.frozen) == (9, 2, 0, ["Quarter"])


def test_folding_loses_nobody_and_shows_nobody_twice():
    items = [Item(f"i{n}", 1 + (n * 7) % 40, 3 + (n * 7) % 40 + n % 5) for n in range(60)]
    folded = _fold(items, lanes=3)
    placed = [item.name for item, _lane in folded.shown] + [
        item.name for stack in folded.stacks for item in stack.items
    ]
    assert sorted(placed) == sorted(item.name for item in items)
    assert all(lane <= 3 for _item, lane in folded.shown)
