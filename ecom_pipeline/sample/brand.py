"""Simulate one DTC brand day by day, keeping the truth the exports hide.

Spend on each campaign drives incremental new customers through a Hill curve on adstocked spend; a baseline of
customers arrives without ads; customers come back following a BG/NBD process; stock runs out and comes back
after a lead time; every order has a journey of touches, lines, a shipment and maybe a refund. The result is
kept in compact numeric form; `writers` turns it into the vendors' export files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from tqdm import tqdm

from ecom_pipeline.sample import catalog as cat

SCALES = {"demo": 0.1, "year": 0.83}
ORGANIC_NAMES = tuple(cat.ORGANIC)
N_CAMPAIGNS = len(cat.CAMPAIGNS)
EMAIL_CHANNEL = N_CAMPAIGNS + ORGANIC_NAMES.index("email")
DIRECT_CHANNEL = N_CAMPAIGNS + ORGANIC_NAMES.index("direct")
SEARCH_CHANNEL = N_CAMPAIGNS + ORGANIC_NAMES.index("organic_search")
RETARGETING = 1  # index of the retargeting campaign in catalog.CAMPAIGNS
WEEKDAY = np.array([1.0, 0.98, 0.97, 0.98, 1.03, 1.08, 1.06])
HOUR_WEIGHTS = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 1.6, 2.2, 2.6, 2.8, 3, 3.1, 3, 2.9, 2.9, 3, 3.3, 3.8, 4.3, 4.5, 4, 3, 1.8])

EVENT_NAMES = ("page_view", "add_to_cart", "begin_checkout", "purchase")


@dataclass
class Brand:
    """Everything the simulation produced, in the shop's terms (local times are in catalog.SHOP_TIMEZONE)."""

    start: date
    days: int
    seed: int
    scale: str
    products: pd.DataFrame
    campaigns: pd.DataFrame
    customers: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    labels: pd.DataFrame
    inventory: pd.DataFrame
    ad_daily: pd.DataFrame
    events: pd.DataFrame
    truth: dict = field(default_factory=dict)
    lift_tests: list[dict] = field(default_factory=list)  # readouts of the holdouts it ran (sample.lift)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.days, freq="D")


def hill(adstock: np.ndarray, beta: np.ndarray, half: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """R(A) = β A^κ / (A^κ + K^κ), per campaign (rows) and day (columns)."""
    a = np.power(np.maximum(adstock, 0.0), kappa[:, None])
    return beta[:, None] * a / (a + np.power(half, kappa)[:, None])


def geometric_adstock(spend: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Normalised geometric adstock A_t = θ A_{t-1} + (1-θ) s_t, started at the first day's spend."""
    out = np.empty_like(spend)
    out[:, 0] = spend[:, 0]
    for t in range(1, spend.shape[1]):
        out[:, t] = theta * out[:, t - 1] + (1 - theta) * spend[:, t]
    return out


def simulate(days: int, seed: int, start: date, scale: str = "demo", progress: bool = True, cast: str = "default") -> Brand:
    return _Simulation(days, seed, start, scale, progress, cast).run()


class _Simulation:
    def __init__(self, days: int, seed: int, start: date, scale: str, progress: bool, cast: str):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}: choose one of {sorted(SCALES)}")
        self.days, self.seed, self.start, self.scale, self.progress = days, seed, start, scale, progress
        self.m = SCALES[scale]
        self.cast, self.campaigns = cast, cat.cast(cast, seed)
        self.rng = np.random.default_rng(seed)
        self.epoch = pd.Timestamp(start)
        self.weekday = WEEKDAY[pd.date_range(start, periods=days).dayofweek]
        self._products()
        self._campaigns()
        self.customers = {"lam": [], "p": [], "first_day": [], "acq_channel": []}
        self.n_customers = 0
        self.repeats: list[list[int]] = [[] for _ in range(days)]
        self.lost_orders: list[pd.DataFrame] = []
        self.orders: list[pd.DataFrame] = []
        self.lines: list[pd.DataFrame] = []
        self.touches: list[pd.DataFrame] = []
        self.inventory: list[pd.DataFrame] = []
        self.next_order = 0

    # ------------------------------------------------------------------ cast
    def _products(self) -> None:
        rows = []
        size_share = {"S": 0.3, "M": 0.4, "L": 0.3}
        for index, product in enumerate(cat.PRODUCTS):
            for size in cat.SIZES:
                price = product.price + (2.0 if size == "L" and product.price > 40 else 0.0)
                rows.append({
                    "sku": f"{product.code}-{size}", "handle": product.handle, "title": product.title, "size": size,
                    "product_index": index, "price": price, "unit_cost": round(price * product.cost_rate, 2),
                    "popularity": product.popularity * size_share[size], "lead_time": product.lead_time_days,
                    "initial_cover": product.initial_cover_days, "weight_oz": product.weight_oz,
                })
        self.products = pd.DataFrame(rows)
        self.price = self.products["price"].to_numpy()
        self.popularity = (self.products["popularity"] / self.products["popularity"].sum()).to_numpy()
        self.sku_of_product_size = self.products.index.to_numpy().reshape(len(cat.PRODUCTS), len(cat.SIZES))

    def _campaigns(self) -> None:
        camps = self.campaigns
        base = np.array([c.base_spend for c in camps]) * self.m
        theta = np.array([c.theta for c in camps])
        kappa = np.array([c.kappa for c in camps])
        half = np.array([c.k_rel for c in camps]) * base
        target = np.array([c.incremental_at_base for c in camps]) * self.m
        beta = target * (base**kappa + half**kappa) / base**kappa
        self.spend = self._spend_paths(base)
        self.adstock = geometric_adstock(self.spend, theta)
        self.expected_incremental = hill(self.adstock, beta, half, kappa)
        self.hill_params = {"beta": beta, "K": half, "kappa": kappa, "theta": theta}
        handles = [p.handle for p in cat.PRODUCTS]
        self.focus = [np.array([handles.index(h) for h in c.focus]) for c in camps]
        self.click_weights = base / np.array([c.cpc for c in camps])
        self.click_weights = self.click_weights / self.click_weights.sum()

    def _spend_paths(self, base: np.ndarray) -> np.ndarray:
        """Daily spend that moves: fortnightly budget regimes, daily noise, weekday rhythm, a few pauses."""
        rng, days = self.rng, self.days
        spend = np.empty((N_CAMPAIGNS, days))
        for c, campaign in enumerate(self.campaigns):
            narrow = campaign.name == "Search - Brand"  # brand search spend is capped by demand: it barely moves
            low, high = (0.9, 1.1) if narrow else (0.5, 1.6)
            regimes = rng.uniform(low, high, size=days // 14 + 1).repeat(14)[:days]
            noise = rng.lognormal(0.0, 0.05 if narrow else 0.18, size=days)
            spend[c] = base[c] * regimes * noise * self.weekday
            if not narrow and days > 30 and rng.random() < 0.4:
                pause = rng.integers(5, days - 5)
                spend[c, pause : pause + 3] = 0.0
        return np.round(spend, 2)

    # ------------------------------------------------------------------ run
    def run(self) -> Brand:
        products = self.products
        stock = np.ceil(self._expected_units_per_sku() * products["initial_cover"].to_numpy()).astype(np.int64)
        pending: list[tuple[int, int, int]] = []  # (arrival day, sku, quantity)
        sales_history = np.zeros((self.days, len(products)))
        days_iter = range(self.days)
        for t in tqdm(days_iter, desc="simulating days", unit="day", disable=not self.progress):
            arrivals = [p for p in pending if p[0] == t]
            for _, sku, qty in arrivals:
                stock[sku] += qty
            pending = [p for p in pending if p[0] != t]
            sold = self._day(t, stock)
            sales_history[t] = sold
            stock -= sold
            pending += self._reorders(t, stock, pending, sales_history)
            incoming = np.zeros(len(products), dtype=np.int64)
            for _, sku, qty in pending:
                incoming[sku] += qty
            self.inventory.append(pd.DataFrame({
                "day": t, "sku": products["sku"], "available": stock.copy(), "committed": sold.astype(np.int64),
                "on_hand": stock + sold.astype(np.int64), "incoming": incoming,
            }))
        return self._finish()

    def _expected_units_per_sku(self) -> np.ndarray:
        expected_orders = (cat.BASELINE_NEW_PER_DAY * self.m + self.expected_incremental.mean(axis=1).sum()) * 1.15
        return expected_orders * 1.45 * 1.15 * self.popularity

    def _reorders(self, t, stock, pending, sales_history) -> list[tuple[int, int, int]]:
        window = sales_history[max(0, t - 13) : t + 1].mean(axis=0)
        window = np.maximum(window, self._expected_units_per_sku() * 0.5)
        on_order = {sku for _, sku, _ in pending}
        out = []
        lead_times = self.products["lead_time"].to_numpy()
        for sku in np.flatnonzero(stock < (lead_times + 6) * window):
            if sku not in on_order:
                lead = int(lead_times[sku])
                out.append((t + lead + int(self.rng.integers(0, 4)), int(sku), int(np.ceil(35 * window[sku]))))
        return out

    def _day(self, t: int, stock: np.ndarray) -> np.ndarray:
        rng = self.rng
        n_inc = rng.poisson(self.expected_incremental[:, t])
        n_base = rng.poisson(cat.BASELINE_NEW_PER_DAY * self.m * self.weekday[t])
        repeat_ids = np.array(self.repeats[t], dtype=np.int64)
        n_new = int(n_inc.sum() + n_base)
        organic_p = np.array([cat.ORGANIC[name]["share"] for name in ORGANIC_NAMES])
        base_channels = N_CAMPAIGNS + rng.choice(len(ORGANIC_NAMES), size=n_base, p=organic_p / organic_p.sum())
        repeat_channels = rng.choice(
            [EMAIL_CHANNEL, DIRECT_CHANNEL, SEARCH_CHANNEL, RETARGETING], size=len(repeat_ids), p=[0.4, 0.3, 0.15, 0.15]
        )
        day_orders = pd.DataFrame({
            "kind": np.concatenate([np.repeat("paid", n_inc.sum()), np.repeat("baseline", n_base), np.repeat("repeat", len(repeat_ids))]),
            "driver": np.concatenate([np.repeat(np.arange(N_CAMPAIGNS), n_inc), base_channels, repeat_channels]).astype(np.int16),
            "customer": np.concatenate([np.full(n_new, -1), repeat_ids]).astype(np.int64),
        })
        seconds = rng.choice(24, size=len(day_orders), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) * 3600 + rng.integers(0, 3600, size=len(day_orders))
        day_orders["local_seconds"] = t * 86400 + seconds
        day_orders = day_orders.sort_values("local_seconds", kind="stable").reset_index(drop=True)
        lines = self._lines(day_orders)
        sold, lines = self._fill(lines, stock)
        filled = lines.groupby("order")["quantity"].size().reindex(day_orders.index, fill_value=0)
        day_orders["lost_to_stockout"] = filled.to_numpy() == 0
        kept = day_orders[~day_orders["lost_to_stockout"]].copy()
        new = kept["customer"] < 0
        kept.loc[new, "customer"] = self._new_customers(int(new.sum()), t, kept.loc[new, "driver"].to_numpy())
        kept["order_index"] = np.arange(self.next_order, self.next_order + len(kept))
        self.next_order += len(kept)
        lines = lines[lines["order"].isin(kept.index)].copy()
        lines["order_index"] = kept.loc[lines["order"], "order_index"].to_numpy()
        kept["day"] = t
        self.orders.append(kept.reset_index(drop=True))
        self.lines.append(lines.drop(columns=["order"]))
        self.lost_orders.append(day_orders.loc[day_orders["lost_to_stockout"], ["kind", "driver"]].assign(day=t))
        return sold

    def _lines(self, orders: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        n_lines = 1 + np.minimum(rng.poisson(0.45, size=len(orders)), 3)
        order = np.repeat(orders.index.to_numpy(), n_lines)
        driver = np.repeat(orders["driver"].to_numpy(), n_lines)
        product = rng.choice(len(cat.PRODUCTS), size=len(order), p=self.products.groupby("product_index")["popularity"].sum().to_numpy() / self.products["popularity"].sum())
        use_focus = (driver < N_CAMPAIGNS) & (np.repeat(orders["kind"].to_numpy(), n_lines) == "paid") & (rng.random(len(order)) < 0.75)
        for c in range(N_CAMPAIGNS):
            pick = use_focus & (driver == c)
            product[pick] = rng.choice(self.focus[c], size=int(pick.sum()))
        size = rng.choice(len(cat.SIZES), size=len(order), p=[0.3, 0.4, 0.3])
        sku = self.sku_of_product_size[product, size]
        frame = pd.DataFrame({"order": order, "sku_index": sku, "quantity": 1 + (rng.random(len(order)) < 0.15)})
        # The same SKU twice in one cart becomes one line with the summed quantity, as Shopify does.
        return frame.groupby(["order", "sku_index"], as_index=False, sort=False)["quantity"].sum()

    def _fill(self, lines: pd.DataFrame, stock: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
        """Serve lines in random order while stock lasts; lines that find the shelf empty are lost."""
        order = self.rng.permutation(len(lines))
        shuffled = lines.iloc[order]
        demand = shuffled.groupby("sku_index")["quantity"].cumsum().to_numpy()
        ok = demand <= stock[shuffled["sku_index"].to_numpy()]
        served = shuffled[ok].sort_index()
        sold = np.bincount(served["sku_index"], weights=served["quantity"], minlength=len(stock))
        return sold.astype(np.int64), served

    def _new_customers(self, n: int, t: int, drivers: np.ndarray) -> np.ndarray:
        rng, g = self.rng, cat.BGNBD
        ids = np.arange(self.n_customers, self.n_customers + n)
        self.n_customers += n
        lam = rng.gamma(g["r"], 1.0 / g["alpha"], size=n)
        p = rng.beta(g["a"], g["b"], size=n)
        for key, values in (("lam", lam), ("p", p), ("first_day", np.full(n, t)), ("acq_channel", drivers)):
            self.customers[key].append(values)
        # BG/NBD: while active, purchases arrive as a Poisson process with rate lam; after each repeat purchase
        # (not the first one: BG/NBD, unlike MBG/NBD) the customer drops out with probability p, so the repeats
        # before dropping out are geometric on 1, 2, ... Draw every future repeat purchase now.
        repeats = np.minimum(rng.geometric(np.clip(p, 1e-6, 1.0)), 200)
        who = np.repeat(np.arange(n), repeats)
        gaps = rng.exponential(1.0 / np.maximum(lam[who], 1e-9))
        starts = np.repeat(np.cumsum(repeats) - repeats, repeats)
        cumulative = np.cumsum(gaps)
        offsets = np.concatenate([[0.0], cumulative])[starts]
        when = t + np.floor(cumulative - offsets).astype(np.int64) + 1
        inside = when < self.days
        for day, customer in zip(when[inside].tolist(), ids[who[inside]].tolist()):
            self.repeats[day].append(customer)
        return ids

    # ------------------------------------------------------------------ after the last day
    def _finish(self) -> Brand:
        orders = pd.concat(self.orders, ignore_index=True)
        lines = pd.concat(self.lines, ignore_index=True)
        customers = pd.DataFrame({k: np.concatenate(v) if v else np.empty(0) for k, v in self.customers.items()})
        orders = self._money(orders, lines)
        touches = self._journeys(orders)
        events = self._events(orders, touches)
        labels = self._labels(orders, lines)
        ad_daily = self._ad_report(orders, touches, events)
        inventory = pd.concat(self.inventory, ignore_index=True)
        brand = Brand(
            start=self.start, days=self.days, seed=self.seed, scale=self.scale, products=self.products,
            campaigns=pd.DataFrame([c.__dict__ for c in self.campaigns]), customers=customers, orders=orders,
            lines=lines, labels=labels, inventory=inventory, ad_daily=ad_daily, events=events,
        )
        brand.truth = self._truth(brand, touches)
        return brand

    def _money(self, orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        lines["price"] = self.price[lines["sku_index"]]
        lines["line_total"] = lines["price"] * lines["quantity"]
        lines["unit_cost"] = self.products["unit_cost"].to_numpy()[lines["sku_index"]]
        lines["line_cost"] = lines["unit_cost"] * lines["quantity"]
        per_order = lines.groupby("order_index").agg(gross=("line_total", "sum"), units=("quantity", "sum"), cogs=("line_cost", "sum"))
        orders = orders.join(per_order, on="order_index")
        seq = orders.groupby("customer").cumcount() + 1
        orders["customer_order_seq"] = seq
        code = np.where(
            (seq == 1) & (rng.random(len(orders)) < 0.2), "WELCOME10",
            np.where((seq > 1) & (rng.random(len(orders)) < 0.15), "VIP15", ""),
        )
        rate = np.select([code == "WELCOME10", code == "VIP15"], [0.10, 0.15], 0.0)
        orders["discount_code"] = code
        orders["discount"] = np.round(orders["gross"] * rate, 2)
        orders["subtotal"] = np.round(orders["gross"] - orders["discount"], 2)
        orders["shipping"] = np.where(orders["subtotal"] >= cat.FREE_SHIPPING_FROM, 0.0, cat.SHIPPING_FEE)
        orders["tax"] = np.round(orders["subtotal"] * cat.TAX_RATE, 2)
        orders["total"] = np.round(orders["subtotal"] + orders["shipping"] + orders["tax"], 2)
        draw = rng.random(len(orders))
        orders["cancelled"] = draw < cat.CANCEL_RATE
        refund = (~orders["cancelled"]) & (draw > 1 - cat.REFUND_RATE)
        full = refund & (rng.random(len(orders)) < 0.5)
        first_line = lines.groupby("order_index")["line_total"].max()
        orders["refunded"] = np.where(full, orders["total"], np.where(refund, orders["order_index"].map(first_line), 0.0))
        orders["financial_status"] = np.select([orders["cancelled"], full, refund], ["voided", "refunded", "partially_refunded"], "paid")
        # A tip on some paid orders: a line item in Total, not in Subtotal, as Shopify writes it (no draw: the seed's
        # other numbers stay as they were).
        orders["tip"] = np.where((orders["financial_status"] == "paid") & (orders["order_index"] % 37 == 5), 2.00, 0.0)
        orders["total"] = np.round(orders["total"] + orders["tip"], 2)
        return orders

    def _journeys(self, orders: pd.DataFrame) -> pd.DataFrame:
        """Touches before each order: the driver, background touches, and the purchase session last."""
        rng = self.rng
        n = len(orders)
        length = 1 + np.minimum(rng.poisson(1.3, size=n), 7)
        order_pos = np.repeat(np.arange(n), length)
        position = np.arange(len(order_pos)) - np.repeat(np.cumsum(length) - length, length)
        driver_slot = rng.integers(0, length)
        is_driver = position == np.repeat(driver_slot, length)
        kind = orders["kind"].to_numpy()[order_pos]
        repeat = kind == "repeat"
        channel = np.where(
            repeat,
            rng.choice([EMAIL_CHANNEL, DIRECT_CHANNEL, SEARCH_CHANNEL, -1], size=len(order_pos), p=[0.35, 0.35, 0.15, 0.15]),
            rng.choice([DIRECT_CHANNEL, SEARCH_CHANNEL, N_CAMPAIGNS + ORGANIC_NAMES.index("referral"), -1], size=len(order_pos), p=[0.3, 0.3, 0.05, 0.35]),
        )
        ad = channel == -1
        channel[ad] = rng.choice(N_CAMPAIGNS, size=int(ad.sum()), p=self.click_weights)
        channel[is_driver] = orders["driver"].to_numpy()[order_pos[is_driver]]
        local = orders["local_seconds"].to_numpy().astype(float)
        previous = orders.groupby("customer")["local_seconds"].shift(1).to_numpy()
        window_start = np.maximum(np.nan_to_num(previous, nan=-np.inf), local - cat.LOOKBACK_DAYS * 86400.0)
        window_start = np.maximum(window_start, 0.0)
        span = np.maximum(local - window_start - 3600.0, 60.0)[order_pos]
        paid_driver = is_driver & (channel < N_CAMPAIGNS)
        span = np.where(paid_driver, np.minimum(span, (cat.CLAIM_WINDOW_DAYS - 1) * 86400.0), span)
        last = position == np.repeat(length - 1, length)
        before = np.where(last, rng.uniform(300, 2400, size=len(order_pos)), 3600.0 + rng.uniform(0, 1, size=len(order_pos)) * span)
        touches = pd.DataFrame({
            "order_index": orders["order_index"].to_numpy()[order_pos], "channel": channel.astype(np.int16),
            "local_seconds": np.maximum(local[order_pos] - before, 0.0), "is_purchase_session": last, "is_driver": is_driver,
        })
        touches = touches.sort_values(["order_index", "local_seconds"], kind="stable").reset_index(drop=True)
        touches["journey"] = touches["order_index"]
        return touches

    def _events(self, orders: pd.DataFrame, touches: pd.DataFrame) -> pd.DataFrame:
        """Pixel events: a page view per session (sometimes two), add-to-cart, checkout and purchase at the end,
        plus ad clicks and organic visits that never convert."""
        rng = self.rng
        sessions = touches[["order_index", "channel", "local_seconds", "is_purchase_session"]].copy()
        sessions["anon"] = sessions["order_index"]  # one device per journey; the purchase identifies it
        sessions["converting"] = True
        spend_clicks = rng.poisson(self.spend / np.array([c.cpc for c in self.campaigns])[:, None] * 0.45)
        organic_visits = rng.poisson(700 * self.m * self.weekday)
        extra = []
        for t in range(self.days):
            clicks = np.repeat(np.arange(N_CAMPAIGNS), spend_clicks[:, t])
            organic_p = np.array([cat.ORGANIC[name]["share"] for name in ORGANIC_NAMES])
            organic = N_CAMPAIGNS + rng.choice(len(ORGANIC_NAMES), size=organic_visits[t], p=organic_p / organic_p.sum())
            channel = np.concatenate([clicks, organic]).astype(np.int16)
            extra.append(pd.DataFrame({"channel": channel, "local_seconds": t * 86400 + rng.uniform(0, 86400, size=len(channel))}))
        lost = pd.concat(extra, ignore_index=True)
        lost["order_index"] = -1
        lost["is_purchase_session"] = False
        lost["converting"] = False
        lost["anon"] = -1 - np.arange(len(lost))
        sessions = pd.concat([sessions, lost], ignore_index=True)
        sessions["session"] = np.arange(len(sessions))
        sessions["click_token"] = rng.integers(1, 2**62, size=len(sessions))
        second_view = rng.random(len(sessions)) < 0.35
        views = pd.concat([
            sessions.assign(name=0, offset=0.0),
            sessions[second_view].assign(name=0, offset=rng.uniform(20, 240, size=int(second_view.sum()))),
        ])
        buying = sessions[sessions["is_purchase_session"]]
        order_seconds = orders.set_index("order_index")["local_seconds"]
        purchase_at = order_seconds.reindex(buying["order_index"]).to_numpy().astype(float)
        checkout = [
            buying.assign(name=1, offset=purchase_at - buying["local_seconds"].to_numpy() - 240.0),
            buying.assign(name=2, offset=purchase_at - buying["local_seconds"].to_numpy() - 120.0),
            buying.assign(name=3, offset=purchase_at - buying["local_seconds"].to_numpy()),
        ]
        events = pd.concat([views, *checkout], ignore_index=True)
        events["local_seconds"] = np.maximum(events["local_seconds"] + events["offset"], 0.0)  # nothing before the first shop day
        events = events.drop(columns=["offset"]).sort_values(["local_seconds", "session", "name"], kind="stable").reset_index(drop=True)
        events["name"] = events["name"].astype(np.int8)
        events["event_index"] = np.arange(len(events))
        return events

    def _labels(self, orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
        """Shipping labels: most orders one package, big ones two; some labels voided and reprinted."""
        rng = self.rng
        ship = orders[~orders["cancelled"]].copy()
        ship["ship_day"] = ship["day"] + rng.choice(4, size=len(ship), p=[0.35, 0.4, 0.18, 0.07])
        ship = ship[ship["ship_day"] < self.days]
        packages = np.where(ship["units"] >= 3, 2, 1)
        label_order = np.repeat(ship["order_index"].to_numpy(), packages)
        package_no = np.arange(len(label_order)) - np.repeat(np.cumsum(packages) - packages, packages)
        labels = pd.DataFrame({"order_index": label_order, "package": package_no, "ship_day": np.repeat(ship["ship_day"].to_numpy(), packages)})
        weight = self.products["weight_oz"].to_numpy()[lines["sku_index"]] * lines["quantity"]
        order_weight = pd.Series(weight.to_numpy(), index=lines["order_index"]).groupby(level=0).sum()
        labels["weight_oz"] = (labels["order_index"].map(order_weight) / np.repeat(packages, packages)).round(1) + 2
        labels["zone"] = rng.integers(2, 9, size=len(labels))
        labels["carrier"] = np.where(labels["weight_oz"] > 16, "UPS", "USPS")
        labels["service"] = np.where(labels["carrier"] == "UPS", "UPS Ground", "USPS Ground Advantage")
        labels["label_cost"] = np.round(3.9 + 0.21 * labels["weight_oz"] + 0.38 * labels["zone"], 2)
        labels["voided"] = False
        voided = labels[rng.random(len(labels)) < 0.03].assign(voided=True)
        labels = pd.concat([labels, voided], ignore_index=True)
        labels["tracking"] = [f"9400{v:018d}" for v in rng.integers(10**15, 10**17, size=len(labels))]
        labels["delivered_day"] = labels["ship_day"] + rng.integers(2, 7, size=len(labels))
        labels.loc[labels["voided"], "delivered_day"] = -1
        labels["duplicated"] = rng.random(len(labels)) < 0.02  # re-imported rows in the 3PL export
        return labels.sort_values(["ship_day", "order_index", "voided"], ascending=[True, True, False], kind="stable").reset_index(drop=True)

    def _ad_report(self, orders: pd.DataFrame, touches: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
        """What each platform reports per campaign, ad and day: spend, impressions, clicks, and the conversions
        it claims (any order with its click in the last 7 days, plus view-through extras)."""
        rng = self.rng
        sessions = events[(events["name"] == 0) & (events["channel"] < N_CAMPAIGNS)].drop_duplicates("session")
        sessions = sessions.assign(day=(sessions["local_seconds"] // 86400).astype(int))
        sessions = sessions[(sessions["day"] >= 0) & (sessions["day"] < self.days)]
        clicks = np.zeros((N_CAMPAIGNS, self.days))
        np.add.at(clicks, (sessions["channel"].to_numpy(), sessions["day"].to_numpy()), 1)
        ad_touch = touches[touches["channel"] < N_CAMPAIGNS].join(orders.set_index("order_index")[["local_seconds", "total"]].rename(columns={"local_seconds": "order_seconds"}), on="order_index")
        recent = ad_touch[ad_touch["order_seconds"] - ad_touch["local_seconds"] <= cat.CLAIM_WINDOW_DAYS * 86400]
        claims = recent.sort_values("local_seconds").drop_duplicates(["order_index", "channel"], keep="last")
        claims = claims.assign(day=(claims["local_seconds"] // 86400).astype(int)).query("day >= 0")
        claimed = np.zeros((N_CAMPAIGNS, self.days))
        value = np.zeros((N_CAMPAIGNS, self.days))
        np.add.at(claimed, (claims["channel"].to_numpy(), claims["day"].to_numpy()), 1)
        np.add.at(value, (claims["channel"].to_numpy(), claims["day"].to_numpy()), claims["total"].to_numpy())
        view_through = np.array([c.view_through for c in self.campaigns])[:, None]
        extra = rng.poisson(claimed * view_through)
        mean_value = np.divide(value, claimed, out=np.full_like(value, 75.0), where=claimed > 0)
        reported_conv = claimed + extra
        reported_value = value + extra * mean_value
        rows = []
        for c, campaign in enumerate(self.campaigns):
            shares = np.clip(rng.normal(0.6, 0.08, size=self.days), 0.3, 0.85)
            for ad, share in ((0, shares), (1, 1 - shares)):
                rows.append(pd.DataFrame({
                    "day": np.arange(self.days), "campaign": c, "ad": ad,
                    "spend": np.round(self.spend[c] * share, 2),
                    "impressions": np.round(self.spend[c] * share / campaign.cpm * 1000 * rng.lognormal(0, 0.1, self.days)).astype(np.int64),
                    "clicks": np.round(clicks[c] * share * rng.uniform(1.05, 1.2, self.days)).astype(np.int64),
                    "conversions": np.round(reported_conv[c] * share).astype(np.int64),
                    "conversions_value": np.round(reported_value[c] * share, 2),
                }))
        report = pd.concat(rows, ignore_index=True)
        report["impressions"] = np.maximum(report["impressions"], report["clicks"])
        return report

    def _truth(self, brand: Brand, touches: pd.DataFrame) -> dict:
        orders, m = brand.orders, self.m
        paid = orders[orders["kind"] == "paid"]
        lost = pd.concat(self.lost_orders, ignore_index=True) if self.lost_orders else pd.DataFrame(columns=["kind", "driver"])
        by_customer = orders.groupby("customer")
        acquired_by = orders[orders["customer_order_seq"] == 1].set_index("customer")["driver"]
        repeats = orders[orders["customer_order_seq"] > 1].assign(acq=lambda f: f["customer"].map(acquired_by))
        campaigns = []
        for c, campaign in enumerate(self.campaigns):
            mine = paid[paid["driver"] == c]
            reported = brand.ad_daily[brand.ad_daily["campaign"] == c]
            campaigns.append({
                "platform": campaign.platform, "campaign_id": campaign.campaign_id, "campaign_name": campaign.name,
                "spend": round(float(self.spend[c].sum()), 2),
                "incremental_orders_expected": round(float(self.expected_incremental[c].sum()), 2),
                "incremental_orders": int(len(mine)),
                "incremental_orders_lost_to_stockout": int(((lost["kind"] == "paid") & (lost["driver"] == c)).sum()),
                "incremental_revenue": round(float(mine["total"].sum()), 2),
                "repeat_orders_from_acquired_customers": int((repeats["acq"] == c).sum()),
                "platform_reported_conversions": int(reported["conversions"].sum()),
                "platform_reported_value": round(float(reported["conversions_value"].sum()), 2),
                "response_curve": {
                    "model": "hill_on_geometric_adstock", "output": "incremental new-customer orders per day",
                    "beta": round(float(self.hill_params["beta"][c]), 4), "K": round(float(self.hill_params["K"][c]), 4),
                    "kappa": float(self.hill_params["kappa"][c]), "adstock_theta": float(self.hill_params["theta"][c]),
                },
                "drawn": {name: getattr(campaign, name) for name in cat.CAST_RANGES},
                "products": list(campaign.focus),
                "utm_campaign_written_as": campaign.utm_campaign,
            })
        platforms = {}
        for row in campaigns:
            agg = platforms.setdefault(row["platform"], {"spend": 0.0, "incremental_orders": 0, "platform_reported_conversions": 0})
            agg["spend"] = round(agg["spend"] + row["spend"], 2)
            agg["incremental_orders"] += row["incremental_orders"]
            agg["platform_reported_conversions"] += row["platform_reported_conversions"]
        baseline = orders[orders["kind"] == "baseline"]
        stock = brand.inventory
        stockouts = stock[stock["available"] <= 0].groupby("sku")["day"].agg(["min", "count"])
        return {
            "seed": self.seed, "start": self.start.isoformat(), "days": self.days, "scale": self.scale, "cast": self.cast,
            "shop": {"currency": cat.SHOP_CURRENCY, "timezone": cat.SHOP_TIMEZONE},
            "campaigns": campaigns,
            "platforms": platforms,
            "baseline": {
                "new_customers_per_day_expected": cat.BASELINE_NEW_PER_DAY * m,
                "orders": int(len(baseline)),
                "orders_by_channel": {name: int((baseline["driver"] == N_CAMPAIGNS + i).sum()) for i, name in enumerate(ORGANIC_NAMES)},
            },
            "repeat_purchase": {"model": "BG/NBD", "time_unit": "days", **cat.BGNBD, "repeat_orders": int(len(repeats))},
            "stockouts": {sku: {"first_day": self.start.isoformat() if row["min"] == 0 else (pd.Timestamp(self.start) + pd.Timedelta(days=int(row["min"]))).date().isoformat(), "days_out_of_stock": int(row["count"])} for sku, row in stockouts.iterrows()},
            "customers": int(by_customer.ngroups),
        }
