"""Write a simulated brand as the vendors write their exports (see shared/FORMATS.md).

Meta CSV with a BOM and the currency in the money headers (sentence case and Title Case weeks); Google Ads
reports with title and date-range rows, quoted thousands, `--` and `Total:` rows, every other week as the
"Excel .csv" UTF-16 LE TSV; TikTok CSV with its two label generations; Shopify orders (one row per line item,
`+hhmm` timestamps, personal columns filled as a real export has them), products and daily inventory
snapshots in three layouts; ShipStation `Category - Field` rows per item; pixel events as JSON lines with
raw emails. Each file's modification time is the moment it was exported.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import pandas as pd
from tqdm import tqdm

from ecom_pipeline.sample import catalog as cat
from ecom_pipeline.sample.brand import EVENT_NAMES, N_CAMPAIGNS, ORGANIC_NAMES, Brand
from ecom_pipeline.sample.xlsx import excelize_workbook

SHOP = "https://shop.example"
FIRST = ("ana", "ben", "chloe", "david", "emma", "felix", "grace", "hugo", "iris", "jack", "kate", "leo", "mia", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara")
LAST = ("smith", "garcia", "chen", "muller", "rossi", "dubois", "kowalski", "silva", "nguyen", "brown", "jensen", "novak")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me")

META_SENTENCE = ("Reporting starts", "Reporting ends", "Day", "Account name", "Account ID", "Campaign name", "Campaign ID",
                 "Ad set name", "Ad set ID", "Ad name", "Ad ID", "Amount spent ({cur})", "Impressions", "Reach", "Frequency",
                 "Link clicks", "Clicks (all)", "Purchases", "Purchases conversion value", "Results", "Result indicator",
                 "Attribution setting")
ORDER_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,"
    "Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
    "Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,"
    "Billing Country,Billing Phone,Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,"
    "Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,"
    "Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,"
    "Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")
SHIP_HEADER = ("Order - Number", "Date - Order Date", "Date - Shipped Date", "Date - Label Create Date", "Carrier - Name",
               "Carrier - Service Selected", "Shipment - Tracking Number", "Shipment - Weight (Oz)", "Shipment - Zone",
               "Shipment - Void Flag", "Amount - Shipping Cost", "Amount - Order Shipping", "Insurance - Cost",
               "Delivery - Date", "Return - Return Label Flag", "Return - RMA Number", "Operations - Warehouse",
               "Item - SKU", "Item - Qty")


def write_exports(brand: Brand, out: Path, progress: bool = True) -> tuple[dict[str, int], list[str], list[str]]:
    """Write every export into `out`; returns (rows written per canonical table, file names, planted faults)."""
    out.mkdir(parents=True, exist_ok=True)
    writer = _Writer(brand, out)
    steps = [writer.meta, writer.google, writer.tiktok, writer.orders, writer.products, writer.inventory, writer.shipments, writer.events, writer.fx_rates, writer.lift_tests]
    for step in tqdm(steps, desc="writing exports", unit="family", disable=not progress):
        step()
    return writer.counts, writer.files, writer.faults


class _Writer:
    def __init__(self, brand: Brand, out: Path):
        self.b, self.out = brand, out
        self.rng = np.random.default_rng(brand.seed + 1)
        self.dates = brand.dates
        self.counts: dict[str, int] = {}
        self.files: list[str] = []
        self.faults: list[str] = []
        # Most real stores have no SKUs: every third product is exported without one (keyed by handle and size).
        self.sku = self.b.products["sku"].where(self.b.products["product_index"] % 3 != 2, "").to_numpy()
        self._people()

    # ---------------------------------------------------------------- helpers
    def _people(self) -> None:
        n = len(self.b.customers)
        first = self.rng.integers(0, len(FIRST), n)
        last = self.rng.integers(0, len(LAST), n)
        domain = self.rng.integers(0, len(DOMAINS), n)
        self.first = np.array(FIRST)[first]
        self.last = np.array(LAST)[last]
        self.email = np.char.add(np.char.add(np.char.add(np.char.add(self.first, "."), self.last), np.arange(n).astype(str)), np.char.add("@", np.array(DOMAINS)[domain]))
        # What people type: some capitalise, some leave a trailing space; the key normalises both away.
        typed = np.where(self.rng.random(n) < 0.3, np.char.capitalize(self.email), self.email)
        self.typed_email = np.where(self.rng.random(n) < 0.1, np.char.add(typed, " "), typed)

    def _weeks(self):
        for begin in range(0, self.b.days, 7):
            yield begin, min(begin + 7, self.b.days) - 1

    def _exported_at(self, last_day: int, hours: float = 30.0) -> float:
        moment = pd.Timestamp(self.dates[last_day]).tz_localize("UTC") + pd.Timedelta(hours=hours)
        return moment.timestamp()

    def _save(self, name: str, data: bytes, mtime: float, table: str | None = None, rows: int = 0) -> None:
        path = self.out / name
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
        self.files.append(name)
        if table:
            self.counts[table] = self.counts.get(table, 0) + rows

    @staticmethod
    def _csv(rows: list[list], header, delimiter: str = ",") -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue()

    def _local(self, seconds: np.ndarray) -> pd.DatetimeIndex:
        naive = pd.Timestamp(self.b.start) + pd.to_timedelta(np.asarray(seconds, dtype=float), unit="s")
        return pd.DatetimeIndex(naive).floor("s").tz_localize(cat.SHOP_TIMEZONE, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")

    # ---------------------------------------------------------------- ads
    def _ads(self, platform: str) -> pd.DataFrame:
        report = self.b.ad_daily
        index = [i for i, c in enumerate(cat.CAMPAIGNS) if c.platform == platform]
        return report[report["campaign"].isin(index)]

    def meta(self) -> None:
        report = self._ads("meta")
        report = report[(report["spend"] > 0) | (report["impressions"] > 0)]  # Meta omits rows without delivery
        weeks = list(self._weeks())
        for number, (first, last) in enumerate(weeks):
            title_case = number % 3 == 1
            header = [h.format(cur=cat.SHOP_CURRENCY) for h in META_SENTENCE]
            if title_case:
                header = [h.title().replace("Id", "ID").replace(f"({cat.SHOP_CURRENCY.title()})", f"({cat.SHOP_CURRENCY})") for h in header]
            week = report[(report["day"] >= first) & (report["day"] <= last)]
            rows = self._meta_rows(week, first, last)
            if title_case:  # some exports end with a summary row whose entity columns are blank
                rows.append([self.dates[first].date(), self.dates[last].date(), "", "", "", "", "", "", "", "", "",
                             f"{week['spend'].sum():.2f}", int(week["impressions"].sum()), "", "", int(week["clicks"].sum()), "", "", "", "", "", ""])
            name = f"Brand-Ads-{self.dates[first]:%b-%-d-%Y}-{self.dates[last]:%b-%-d-%Y}.csv"
            final = "\ufeff" + self._csv(rows, header)
            if number == len(weeks) - 1 and len(weeks) > 1:
                # A preliminary export of the last week, restated later: the newest export must win.
                early = week.assign(spend=np.round(week["spend"] * 0.9, 2), conversions=(week["conversions"] * 0.8).round().astype(int))
                self._save(name.replace(".csv", "-preliminary.csv"), ("\ufeff" + self._csv(self._meta_rows(early, first, last), header)).encode("utf-8"), self._exported_at(last, hours=20))
                self.faults.append(f"{name}: the last week's Meta export exists twice; the preliminary copy is older and must lose")
            self._save(name, final.encode("utf-8"), self._exported_at(last), "ad_performance/meta", len(week))

    def _meta_rows(self, week: pd.DataFrame, first: int, last: int) -> list[list]:
        rows = []
        for r in week.itertuples():
            c = cat.CAMPAIGNS[r.campaign]
            reach = max(1, int(r.impressions / 1.35))
            rows.append([
                self.dates[first].date(), self.dates[last].date(), self.dates[r.day].date(), "Sample Brand US", "act_4815162342",
                c.name, c.campaign_id, c.ad_group, f"{c.campaign_id}7", f"{c.name} - Creative {'AB'[r.ad]}", f"{c.campaign_id}7{r.ad}",
                f"{r.spend:.2f}", r.impressions, reach, f"{r.impressions / reach:.6f}", r.clicks, int(r.clicks * 1.6),
                r.conversions or "", f"{r.conversions_value:.2f}" if r.conversions else "", r.conversions or "",
                "actions:offsite_conversion.fb_pixel_purchase", "7-day click or 1-day view",
            ])
        return rows

    def google(self) -> None:
        report = self._ads("google").groupby(["day", "campaign"], as_index=False)[["spend", "impressions", "clicks", "conversions", "conversions_value"]].sum()
        header = ["Day", "Campaign", "Campaign ID", "Ad group", "Ad group ID", "Campaign type", "Impr.", "Clicks", "CTR", "Avg. CPC",
                  "Cost", "Conversions", "Conv. value", "Currency code"]
        for number, (first, last) in enumerate(self._weeks()):
            week = report[(report["day"] >= first) & (report["day"] <= last)]
            rows = []
            for r in week.itertuples():
                c = cat.CAMPAIGNS[r.campaign]
                ctr = f"{100 * r.clicks / r.impressions:.2f}%" if r.impressions else "--"
                cpc = f"{r.spend / r.clicks:,.2f}" if r.clicks else "--"
                rows.append([self.dates[r.day].date(), c.name, c.campaign_id, c.ad_group, f"{c.campaign_id}9",
                             "Performance Max" if "Max" in c.name else "Search", f"{r.impressions:,}", f"{r.clicks:,}", ctr, cpc,
                             f"{r.spend:,.2f}", f"{r.conversions:,.2f}", f"{r.conversions_value:,.2f}", cat.SHOP_CURRENCY])
            totals = [f"{week['impressions'].sum():,}", f"{week['clicks'].sum():,}", "--", "--", f"{week['spend'].sum():,.2f}",
                      f"{week['conversions'].sum():,.2f}", f"{week['conversions_value'].sum():,.2f}", ""]
            rows.append(["Total: Account", "--", "--", "--", "--", "--", *totals])
            rows.append(["Total: Campaigns", "--", "--", "--", "--", "--", *totals])
            period = f"{self.dates[first]:%B} {self.dates[first].day}, {self.dates[first].year} - {self.dates[last]:%B} {self.dates[last].day}, {self.dates[last].year}"
            utf16 = number % 2 == 1
            delimiter = "\t" if utf16 else ","
            preamble = self._csv([[period]], ["Campaign report"], delimiter)
            body = preamble + self._csv(rows, header, delimiter)
            name = f"Campaign report ({self.dates[first]:%Y-%m-%d} - {self.dates[last]:%Y-%m-%d}).csv"
            data = body.encode("utf-16") if utf16 else body.encode("utf-8")
            if utf16:
                self.faults.append(f"{name}: Google's 'Excel .csv' download, UTF-16 LE with a BOM and tab-separated")
            self._save(name, data, self._exported_at(last), "ad_performance/google", len(week))

    def tiktok(self) -> None:
        report = self._ads("tiktok")
        for number, (first, last) in enumerate(self._weeks()):
            if number == 1:  # the second week as TikTok's default download: an XLSX report by hour
                self._tiktok_hourly(report[(report["day"] >= first) & (report["day"] <= last)], first, last)
                continue
            older = number % 2 == 1
            header = ["By Day", "Campaign name", "Campaign ID", "Ad group name", "Ad group ID", "Ad name", "Ad ID"]
            header += ["Cost (USD)"] if older else ["Cost", "Currency"]
            header += ["Impressions", "Clicks (Destination)" if older else "Clicks (destination)", "CTR (destination)",
                       "Conversions", "Complete payment", "Total complete payment" if older else "Total complete payment value"]
            week = report[(report["day"] >= first) & (report["day"] <= last)]
            rows = []
            for r in week.itertuples():
                c = cat.CAMPAIGNS[r.campaign]
                money = [f"{r.spend:.2f}"] if older else [f"{r.spend:.2f}", cat.SHOP_CURRENCY]
                rows.append([self.dates[r.day].date(), c.name, c.campaign_id, c.ad_group, f"{c.campaign_id}5",
                             f"{c.name} video {r.ad + 1}", f"{c.campaign_id}5{r.ad}", *money, r.impressions, r.clicks,
                             f"{100 * r.clicks / r.impressions:.2f}%" if r.impressions else "0.00%", r.conversions, r.conversions,
                             f"{r.conversions_value:.2f}"])
            name = f"TikTok-Ads-Custom-Report-{self.dates[first]:%Y%m%d}-{self.dates[last]:%Y%m%d}.csv"
            self._save(name, self._csv(rows, header).encode("utf-8"), self._exported_at(last), "ad_performance/tiktok", len(week))

    def _tiktok_hourly(self, week: pd.DataFrame, first: int, last: int) -> None:
        """One row per ad and hour (`Time` = `2026-08-04 13:00`), each day's numbers spread over its 24 hours so that
        they sum back exactly, numbers as text, a totals row of `-`: as Excelize writes TikTok's XLSX."""
        header = ["Campaign name", "Campaign ID", "Ad group name", "Ad group ID", "Ad name", "Ad ID", "Time", "Currency", "Cost",
                  "Impressions", "Clicks (destination)", "Conversions", "Complete payment", "Total complete payment value"]
        rows = [header]
        for r in week.itertuples():
            c = cat.CAMPAIGNS[r.campaign]
            cents = [_spread(round(r.spend * 100), 24), _spread(round(r.conversions_value * 100), 24)]
            counts = [_spread(int(v), 24) for v in (r.impressions, r.clicks, r.conversions)]
            for hour in range(24):
                rows.append([c.name, c.campaign_id, c.ad_group, f"{c.campaign_id}5", f"{c.name} video {r.ad + 1}", f"{c.campaign_id}5{r.ad}",
                             f"{self.dates[r.day]:%Y-%m-%d} {hour:02d}:00", cat.SHOP_CURRENCY, f"{cents[0][hour] / 100:.2f}",
                             str(counts[0][hour]), str(counts[1][hour]), str(counts[2][hour]), str(counts[2][hour]), f"{cents[1][hour] / 100:.2f}"])
        rows.append(["-", "-", "-", "-", "-", "-", "-", cat.SHOP_CURRENCY, f"{week['spend'].sum():.2f}", "", "", "", "", ""])
        name = f"TikTok-Ads-Report-by-hour-{self.dates[first]:%Y%m%d}-{self.dates[last]:%Y%m%d}.xlsx"
        self._save(name, excelize_workbook(rows), self._exported_at(last), "ad_performance/tiktok", len(week))
        self.faults.append("tiktok: the second week is an XLSX report by hour (Excelize: <dimension ref=\"A1\">, sheet2.xml, numbers as text)")

    # ---------------------------------------------------------------- shopify
    def orders(self) -> None:
        b = self.b
        orders = b.orders.sort_values("order_index").reset_index(drop=True)
        created = self._local(orders["local_seconds"].to_numpy())
        stamp = created.strftime("%Y-%m-%d %H:%M:%S %z")
        names = "#" + (1001 + orders["order_index"]).astype(str)
        ids = (6300000000000 + orders["order_index"] * 37).astype(str)
        shipped_day = b.labels[~b.labels["voided"]].groupby("order_index")["ship_day"].min()
        fulfilled = orders["order_index"].map(shipped_day)
        fulfilled_at = self._local(fulfilled.fillna(0).to_numpy() * 86400 + 15 * 3600).strftime("%Y-%m-%d %H:%M:%S %z")
        lines = b.lines.merge(self.b.products[["sku", "title", "size"]], left_on="sku_index", right_index=True)
        lines = lines.sort_values(["order_index"], kind="stable")
        cust = orders["customer"].to_numpy()
        order_fields = pd.DataFrame({
            "Name": names, "Email": self.typed_email[cust], "Financial Status": orders["financial_status"],
            "Paid at": np.where(orders["cancelled"], "", stamp), "Fulfillment Status": np.where(fulfilled.notna(), "fulfilled", "unfulfilled"),
            "Fulfilled at": np.where(fulfilled.notna(), fulfilled_at, ""), "Accepts Marketing": np.where(cust % 3 == 0, "no", "yes"),
            "Currency": cat.SHOP_CURRENCY, "Subtotal": orders["subtotal"].map("{:.2f}".format), "Shipping": orders["shipping"].map("{:.2f}".format),
            "Taxes": orders["tax"].map("{:.2f}".format), "Total": orders["total"].map("{:.2f}".format),
            "Discount Code": orders["discount_code"], "Discount Amount": orders["discount"].map("{:.2f}".format),
            "Shipping Method": np.where(orders["shipping"] > 0, "Standard", "Free Shipping"), "Created at": stamp,
            "Billing Name": np.char.add(np.char.add(np.char.capitalize(self.first[cust]), " "), np.char.capitalize(self.last[cust])),
            "Billing Street": np.char.add((cust % 900 + 10).astype(str), " Main St"), "Billing Zip": np.char.add("'0", (cust % 9000 + 1000).astype(str)),
            "Billing City": "Boston", "Billing Province": "MA", "Billing Country": "US",
            "Billing Phone": np.char.add("+1617555", np.char.zfill((cust % 10000).astype(str), 4)),
            "Cancelled at": np.where(orders["cancelled"], self._local(orders["local_seconds"].to_numpy() + 7200).strftime("%Y-%m-%d %H:%M:%S %z"), ""),
            "Payment Method": "Shopify Payments", "Refunded Amount": orders["refunded"].map("{:.2f}".format),
            "Outstanding Balance": "0.00", "Id": ids, "Risk Level": "Low", "Source": "web",
            "Tax 1 Name": f"MA State Tax {cat.TAX_RATE * 100:g}%", "Tax 1 Value": orders["tax"].map("{:.2f}".format),
        })
        order_fields["order_index"] = orders["order_index"]
        order_fields["day"] = orders["day"]
        rows = lines.merge(order_fields, on="order_index", how="left")
        rows["Lineitem quantity"] = rows["quantity"]
        rows["Lineitem name"] = rows["title"] + " - " + rows["size"]
        rows["Lineitem price"] = rows["price"].map("{:.2f}".format)
        rows["Lineitem sku"] = self.sku[rows["sku_index"]]
        rows["Lineitem requires shipping"] = "true"
        rows["Lineitem taxable"] = "true"
        rows["Lineitem fulfillment status"] = np.where(rows["Fulfillment Status"] == "fulfilled", "fulfilled", "pending")
        rows["Vendor"] = "Sample Brand"
        rows["Lineitem discount"] = "0.00"
        tips = orders[orders["tip"] > 0]
        if len(tips):  # a Tip line item: in Total, not in Subtotal, no SKU, no shipping
            tip_rows = pd.DataFrame({"order_index": tips["order_index"].to_numpy(), "Lineitem quantity": 1, "Lineitem name": "Tip",
                                     "Lineitem price": tips["tip"].map("{:.2f}".format).to_numpy(), "Lineitem sku": "",
                                     "Lineitem requires shipping": "false", "Lineitem taxable": "false", "Lineitem fulfillment status": "fulfilled",
                                     "Vendor": "Sample Brand", "Lineitem discount": "0.00"})
            tip_rows = tip_rows.merge(order_fields, on="order_index", how="left")
            rows = pd.concat([rows, tip_rows], ignore_index=True).sort_values("order_index", kind="stable").reset_index(drop=True)
        continuation = rows.duplicated("order_index")
        # As the admin writes them: a continuation row repeats Name, Email, Created at and Vendor besides its line.
        keep_on_continuation = {"Name", "Email", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
                                "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status", "Vendor", "Lineitem discount"}
        for column in ORDER_HEADER:
            if column not in rows.columns:
                rows[column] = ""
            elif column not in keep_on_continuation:
                rows.loc[continuation, column] = ""
        for first, last in self._weeks():
            week = rows[(rows["day"] >= first) & (rows["day"] <= last)]
            data = week[ORDER_HEADER].to_csv(index=False, lineterminator="\n")
            name = f"orders_export_{self.dates[first]:%Y-%m-%d}_{self.dates[last]:%Y-%m-%d}.csv"
            self._save(name, data.encode("utf-8"), self._exported_at(last), "orders", int((~continuation[week.index]).sum()))
            self.counts["order_lines"] = self.counts.get("order_lines", 0) + int((week["Lineitem name"] != "Tip").sum())

    def products(self) -> None:
        header = ["Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published", "Option1 Name",
                  "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value", "Variant SKU", "Variant Grams",
                  "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy", "Variant Fulfillment Service",
                  "Variant Price", "Variant Compare At Price", "Variant Requires Shipping", "Variant Taxable", "Variant Barcode",
                  "Image Src", "Image Position", "Image Alt Text", "Gift Card", "SEO Title", "SEO Description", "Variant Image",
                  "Variant Weight Unit", "Variant Tax Code", "Cost per item", "Status"]
        rows = []
        for product_index, group in self.b.products.groupby("product_index", sort=True):
            for position, p in enumerate(group.itertuples()):
                head = position == 0
                rows.append([p.handle, p.title if head else "", f"<p>{p.title}, made to last.</p>" if head else "",
                             "Sample Brand" if head else "", "Apparel & Accessories" if head else "", "Apparel" if head else "",
                             "core" if head else "", "TRUE" if head else "", "Size" if head else "", p.size, "", "", "", "",
                             self.sku[p.Index], int(p.weight_oz * 28.35), "shopify", "", "deny", "manual", f"{p.price:.2f}", "", "TRUE", "TRUE",
                             "", f"https://cdn.shop.example/{p.handle}-1.jpg" if head else "", 1 if head else "", "", "FALSE" if head else "",
                             "", "", "", "g", "", f"{p.unit_cost:.2f}", "active" if head else ""])
            rows.append([group.iloc[0]["handle"]] + [""] * 24 + [f"https://cdn.shop.example/{group.iloc[0]['handle']}-2.jpg", 2] + [""] * 9)
        name = f"products_export_{self.dates[0]:%Y-%m-%d}.csv"
        self._save(name, self._csv(rows, header).encode("utf-8"), self._exported_at(0, hours=-2), "products", len(self.b.products))

    def inventory(self) -> None:
        stock = self.b.inventory.merge(self.b.products[["sku", "handle", "title", "size"]].assign(exported=self.sku), on="sku")
        stock["sku"] = stock["exported"]  # SKU-less variants: an empty SKU, keyed by handle and size
        popup = 4
        for day, snap in stock.groupby("day"):
            layout = "2023" if day < 7 else ("legacy" if day == 7 else "current")
            if layout == "legacy":
                header = ["Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value", "SKU", "Main Warehouse", "Pop-up Store"]
                rows = [[r.handle, r.title, "Size", r.size, "", "", "", "", r.sku, r.available, popup if r.size == "M" else "not stocked"] for r in snap.itertuples()]
                n = len(snap) + int((snap["size"] == "M").sum())
            else:
                rows = []
                for r in snap.itertuples():
                    for location, available, committed, incoming in (("Main Warehouse", r.available, r.committed, r.incoming), ("Pop-up Store", popup, 0, 0)):
                        on_hand = available + committed
                        if layout == "current":
                            rows.append([r.handle, r.title, "Size", r.size, "", "", "", "", r.sku, "", "", location, "", incoming, 0, committed, available, on_hand, ""])
                        else:
                            rows.append([r.handle, r.title, "Size", r.size, r.sku, "", "", location, incoming, 0, committed, available, on_hand])
                if layout == "current":
                    header = ["Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value", "SKU", "HS Code", "COO", "Location", "Bin name", "Incoming (not editable)", "Unavailable (not editable)", "Committed (not editable)", "Available (not editable)", "On hand (current)", "On hand (new)"]
                else:
                    header = ["Handle", "Title", "Option1 Name", "Option1 Value", "SKU", "HS Code", "COO", "Location", "Incoming", "Unavailable", "Committed", "Available", "On hand"]
                n = len(rows)
            name = f"inventory_export_{self.dates[day]:%Y-%m-%d}.csv"
            self._save(name, self._csv(rows, header).encode("utf-8"), self._exported_at(int(day), hours=23), "inventory_levels", n)
        self.faults.append("inventory: the first week uses the 2023 layout, day 8 the legacy per-location layout with 'not stocked'")

    # ---------------------------------------------------------------- 3PL
    def shipments(self) -> None:
        b = self.b
        labels = b.labels
        lines = b.lines.assign(sku=self.sku[b.lines["sku_index"]])
        lines["line_no"] = lines.groupby("order_index").cumcount()
        packages = labels.groupby("order_index")["package"].transform("max") + 1
        labels = labels.assign(packages=packages)
        items = labels.merge(lines[["order_index", "sku", "quantity", "line_no"]], on="order_index")
        lines_per_order = items.groupby("order_index")["line_no"].transform("max") + 1
        # Lines are spread over the packages; a package left without a line of its own carries part of the first.
        items = items[((items["line_no"] % items["packages"]) == items["package"]) | ((items["package"] >= lines_per_order) & (items["line_no"] == 0))]
        items = pd.concat([items, items[items["duplicated"]]]).sort_values(["ship_day", "order_index", "tracking"], kind="stable")
        orders = b.orders.set_index("order_index")
        def us(day_seconds: np.ndarray) -> pd.Index:
            return self._local(day_seconds).strftime("%-m/%-d/%Y %-I:%M:%S %p")
        order_date = us(orders.loc[items["order_index"], "local_seconds"].to_numpy())
        label_time = items["ship_day"].to_numpy() * 86400 + 13 * 3600
        frame = pd.DataFrame({
            "Order - Number": "#" + (1001 + items["order_index"]).astype(str).to_numpy(),
            "Date - Order Date": order_date,
            "Date - Shipped Date": np.where(items["voided"], "", us(label_time + 3600)),
            "Date - Label Create Date": us(label_time),
            "Carrier - Name": items["carrier"].to_numpy(), "Carrier - Service Selected": items["service"].to_numpy(),
            "Shipment - Tracking Number": items["tracking"].to_numpy(), "Shipment - Weight (Oz)": items["weight_oz"].to_numpy(),
            "Shipment - Zone": items["zone"].to_numpy(), "Shipment - Void Flag": np.where(items["voided"], "true", "false"),
            "Amount - Shipping Cost": items["label_cost"].map("{:.2f}".format).to_numpy(),
            "Amount - Order Shipping": np.where(items["package"] == 0, orders.loc[items["order_index"], "shipping"].map("{:.2f}".format).to_numpy(), "0.00"),
            "Insurance - Cost": "0.00",
            "Delivery - Date": [self.dates[d].strftime("%-m/%-d/%Y") if 0 <= d < b.days else "" for d in items["delivered_day"]],
            "Return - Return Label Flag": "false", "Return - RMA Number": "", "Operations - Warehouse": "Main Warehouse",
            "Item - SKU": items["sku"].to_numpy(), "Item - Qty": items["quantity"].to_numpy(), "day": items["ship_day"].to_numpy(),
        })
        weeks = list(self._weeks())
        for number, (first, last) in enumerate(weeks):
            if number == len(weeks) - 1 and number > 0:  # the last week from ShipStation's Orders grid instead
                self._orders_grid(items, first, last)
                continue
            week = frame[(frame["day"] >= first) & (frame["day"] <= last)]
            name = f"shipstation_shipments_{self.dates[first]:%Y-%m-%d}_{self.dates[last]:%Y-%m-%d}.csv"
            self._save(name, week[list(SHIP_HEADER)].to_csv(index=False, lineterminator="\n").encode("utf-8"), self._exported_at(last), "shipments", int(week.drop_duplicates(["Order - Number", "Shipment - Tracking Number"]).shape[0]))
        self.faults.append("shipments: one row per item, ~3% voided labels reprinted, ~2% of labels' rows imported twice")

    def _orders_grid(self, items: pd.DataFrame, first: int, last: int) -> None:
        """ShipStation's Orders grid, "export current view": one row per order item, `Rate` the order's label cost
        (its live labels of the week), every field quoted, CRLF, MM/DD/YYYY; a TikTok Shop and a Walmart order too."""
        b = self.b
        live = items[~items["voided"] & (items["ship_day"] >= first) & (items["ship_day"] <= last)].drop_duplicates(["order_index", "tracking", "line_no"])
        labels = live.drop_duplicates(["order_index", "tracking"]).groupby("order_index").agg(rate=("label_cost", "sum"), day=("ship_day", "min"),
                                                                                            service=("service", "first"))
        orders = b.orders.set_index("order_index")
        names = b.products["title"] + " - " + b.products["size"]
        lines = b.lines[b.lines["order_index"].isin(labels.index)].sort_values(["order_index"], kind="stable")
        header = ["Order #", "Store", "Age", "Order Date", "Item Name", "Recipient", "Ship Date", "Quantity", "Item SKU", "Order Total",
                  "Shipping Paid", "Rate", "Service", "Tags"]
        rows = []
        for line in lines.itertuples():
            label, order = labels.loc[line.order_index], orders.loc[line.order_index]
            order_day = int(order["day"])
            rows.append([str(1001 + line.order_index), "Sample Brand Shopify", f"{last + 1 - order_day}d {line.order_index % 24}h",
                         f"{self.dates[order_day]:%m/%d/%Y}", names.iloc[line.sku_index], "Sample Customer", f"{self.dates[int(label['day'])]:%m/%d/%Y}",
                         str(line.quantity), self.sku[line.sku_index], f"{order['total']:.2f}", f"{order['shipping']:.2f}", f"{label['rate']:.2f}",
                         label["service"], ""])
        for k in range(2):  # orders of the brand's TikTok Shop, shipped from the same account: no Shopify order matches them
            rows.append([str(576500000000000100 + k), "TikTok Shop", "1d 4h", f"{self.dates[last]:%m/%d/%Y}", names.iloc[k], "Sample Customer",
                         f"{self.dates[last]:%m/%d/%Y}", "1", self.sku[k], "29.00", "0.00", "4.10", "USPS Ground Advantage", ""])
        rows.append(["200012345678", "Walmart", "0d 6h", f"{self.dates[last]:%m/%d/%Y}", names.iloc[2], "Sample Customer", "", "1", "", "31.00",
                     "0.00", "", "", ""])  # not shipped yet: no label
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows(rows)
        name = f"ShipStation-Orders-{self.dates[first]:%Y-%m-%d}_{self.dates[last]:%Y-%m-%d}.csv"
        self._save(name, buffer.getvalue().encode("utf-8"), self._exported_at(last), "shipments", len(labels) + 2)
        self.faults.append("shipments: the last week comes from ShipStation's Orders grid (Rate per order, no tracking numbers), "
                           "with two TikTok Shop orders that match no shop order and a Walmart order not shipped yet")

    def fx_rates(self) -> None:
        """The finance team's dated rate table (USD per EUR and per GBP), kept for the brand's foreign-currency costs."""
        days = len(self.dates)
        walk = np.cumsum(self.rng.normal(0, 0.003, size=(days, 2)), axis=0)
        rows = [[self.dates[i].date(), code, f"{base * np.exp(walk[i, k]):.4f}"]
                for i in range(days) for k, (code, base) in enumerate((("EUR", 1.09), ("GBP", 1.27)))]
        name = f"fx_rates_{self.dates[0]:%Y-%m-%d}_{self.dates[-1]:%Y-%m-%d}.csv"
        self._save(name, self._csv(rows, ["date", "currency", "rate"]).encode("utf-8"), self._exported_at(days - 1), "fx_rates", len(rows))

    def lift_tests(self) -> None:
        """The readouts of the lift tests the brand ran, in one file the growth team keeps (written only if any ran)."""
        if not self.b.lift_tests:
            return
        header = [k for k in self.b.lift_tests[0] if not k.startswith("_")]
        rows = [[test[k] for k in header] for test in self.b.lift_tests]
        last = max(pd.Timestamp(t["End date"]) for t in self.b.lift_tests)
        day = (last - pd.Timestamp(self.b.start)).days
        self._save(f"lift_test_results_{last:%Y-%m-%d}.csv", self._csv(rows, header).encode("utf-8"), self._exported_at(min(day + 1, len(self.dates) - 1)),
                   "lift_tests", len(rows))

    # ---------------------------------------------------------------- pixel
    def events(self) -> None:
        """One JSON-lines file per week of shop days (a weekly export job, dated in the shop's time zone as GA4 dates
        its exports; timestamps in UTC), built a day at a time so a year fits in memory."""
        b = self.b
        orders = b.orders.set_index("order_index")
        naive = pd.DatetimeIndex(pd.Timestamp(b.start) + pd.to_timedelta(b.events["local_seconds"].to_numpy(), unit="s")).floor("ms")
        utc = naive.tz_localize(cat.SHOP_TIMEZONE, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward").tz_convert("UTC")
        days = naive.normalize()
        columns = ["event_id", "event_timestamp", "event_name", "anonymous_id", "session_id", "page_url", "referrer", "email", "order_id", "revenue", "currency"]
        week: list[str] = []
        week_days: list[pd.Timestamp] = []
        for day, positions in sorted(pd.Series(np.arange(len(days))).groupby(days).indices.items()):
            chunk = b.events.iloc[positions]
            stamps = utc[positions]
            frame = pd.DataFrame({
                "event_id": "ev_" + pd.Series(chunk["event_index"].to_numpy() * 7919 + b.seed).map("{:012x}".format),
                "event_timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S.") + pd.Series(stamps.microsecond // 1000).map("{:03d}Z".format).to_numpy(),
                "event_name": np.array(EVENT_NAMES)[chunk["name"].to_numpy()],
                "anonymous_id": pd.Series((chunk["anon"].to_numpy() * 2654435761 + b.seed) % (2**48)).map("{:012x}".format),
                "session_id": pd.Series(chunk["session"].to_numpy() * 40503 % (2**40)).map("s{:010x}".format),
            })
            frame["page_url"], frame["referrer"] = self._urls(chunk)
            order_index = chunk["order_index"].to_numpy()
            checkout = chunk["name"].to_numpy() >= 2
            purchase = chunk["name"].to_numpy() == 3
            customer = orders["customer"].reindex(order_index).to_numpy()
            frame["email"] = np.where(checkout, self.typed_email[np.where(checkout, customer, 0).astype(int)], None)
            frame["order_id"] = np.where(purchase, (6300000000000 + order_index * 37).astype(str), None)
            frame["revenue"] = np.where(purchase, orders["total"].reindex(order_index).to_numpy(), np.nan)
            frame["currency"] = np.where(purchase, cat.SHOP_CURRENCY, None)
            week.append(frame[columns].to_json(orient="records", lines=True, force_ascii=False))
            week_days.append(day)
            self.counts["touchpoints"] = self.counts.get("touchpoints", 0) + len(frame)
            if len(week_days) == 7 or day == days.max():
                last_index = max(0, min(b.days - 1, (week_days[-1] - pd.Timestamp(b.start)).days))
                name = f"events_{week_days[0]:%Y-%m-%d}_{week_days[-1]:%Y-%m-%d}.jsonl"
                self._save(name, "".join(week).encode("utf-8"), self._exported_at(last_index, hours=25))
                week, week_days = [], []

    def _urls(self, events: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Landing URLs with the UTMs and click ids each channel's tagging writes; later pages are plain."""
        rng = self.rng
        n = len(events)
        channel = events["channel"].to_numpy()
        name = events["name"].to_numpy()
        first_view = (name == 0) & ~pd.Series(events["session"].to_numpy()).duplicated().to_numpy()
        handles = pd.Series(np.array([p.handle for p in cat.PRODUCTS], dtype=object)[rng.integers(0, len(cat.PRODUCTS), n)])
        url = pd.Series(np.where(name == 0, f"{SHOP}/products/", np.where(name == 1, f"{SHOP}/cart?added=", f"{SHOP}/checkouts/c/")), dtype=object)
        url = url + np.where(name <= 1, handles, np.where(name == 2, "information", "thank-you"))
        referrer = pd.Series(SHOP, index=url.index, dtype=object)
        token = events["click_token"].to_numpy()
        for c, campaign in enumerate(cat.CAMPAIGNS):
            mine = first_view & (channel == c)
            if not mine.any():
                continue
            source, medium, click = cat.PLATFORM_UTM[campaign.platform]
            value = campaign.campaign_id if campaign.utm_campaign == "id" else quote_plus(campaign.name)
            prefix = {"fbclid": "IwAR", "gclid": "Cj0KCQjw", "ttclid": "E.C.P."}[click]
            ids = prefix + pd.Series(token[mine]).map("{:016x}".format).to_numpy()
            tagged = url[mine] + f"?utm_source={source}&utm_medium={medium}&utm_campaign={value}&{click}=" + ids
            if campaign.platform == "google":  # auto-tagging alone on half the clicks: only the gclid
                tagged = tagged.where(rng.random(int(mine.sum())) >= 0.5, url[mine] + "?gclid=" + ids)
            url[mine] = tagged
            referrer[mine] = {"meta": "https://l.facebook.com/", "google": "https://www.google.com/", "tiktok": "https://www.tiktok.com/"}[campaign.platform]
        for k, organic in enumerate(ORGANIC_NAMES):
            mine = first_view & (channel == N_CAMPAIGNS + k)
            spec = cat.ORGANIC[organic]
            referrer[mine] = spec["referrer"]
            if spec["utm"]:
                source, medium, campaign_name = spec["utm"]
                url[mine] = url[mine] + f"?utm_source={source}&utm_medium={medium}&utm_campaign={campaign_name}"
        return url.to_numpy(), referrer.to_numpy()


def _spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole numbers that sum to it (the remainder on the evening hours, when people buy)."""
    base, extra = divmod(total, parts)
    return [base + (1 if index >= parts - extra else 0) for index in range(parts)]
