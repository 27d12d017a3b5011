"""Planning: which orders to apply, before anything is changed.

The new orders are applied one by one to a copy of the stock. An order with an unknown
SKU, or one that would make stock negative, is rejected as a whole: an order is never
applied partly. Orders already on the "Processed" sheet are not applied again; those whose
customer was not told yet are notified again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orders import Order, Rejection


@dataclass
class Plan:
    apply: list[Order] = field(default_factory=list)  # new orders that fit the stock
    renotify: list[Order] = field(default_factory=list)  # applied before, customer not told
    rejected: list[Rejection] = field(default_factory=list)
    already_processed: int = 0  # orders found on the "Processed" sheet (or seen twice)


def make_plan(orders: list[Order], stock: dict[str, int], done: dict[str, str]) -> Plan:
    """Decide for each order; `done` is the ledger: Message-ID -> Notified ("yes", "no")."""
    plan = Plan()
    remaining = dict(stock)
    seen: set[str] = set()
    for order in orders:
        if order.message_id in done or order.message_id in seen:
            # The same email can sit in the Maildir twice: it still counts once.
            plan.already_processed += 1
            if done.get(order.message_id) == "no" and order.message_id not in seen:
                plan.renotify.append(order)
            seen.add(order.message_id)
            continue
        seen.add(order.message_id)
        reason = _shortfall(order, remaining)
        if reason:
            rejection = Rejection(
                order.source, order.message_id, f"{order.shop} order {order.number}: {reason}"
            )
            plan.rejected.append(rejection)
            continue
        for sku, quantity in order.quantities().items():
            remaining[sku] -= quantity
        plan.apply.append(order)
    return plan


def _shortfall(order: Order, stock: dict[str, int]) -> str | None:
    """Why the stock cannot fill this order, or None when it can."""
    for sku, quantity in order.quantities().items():
        if sku not in stock:
            return f"unknown SKU {sku!r} (not in the inventory sheet)"
        if stock[sku] < quantity:
            return f"not enough stock of {sku} (have {stock[sku]}, order needs {quantity})"
    return None


def stock_changes(orders: list[Order]) -> dict[str, int]:
    """How much the stock of each SKU goes down (as a negative number) for these orders."""
    changes: dict[str, int] = {}
    for order in orders:
        for sku, quantity in order.quantities().items():
            changes[sku] = changes.get(sku, 0) - quantity
    return changes
