"""Parser throughput on large files in the real layouts (FORMATS.md, "What real exports look like").

Builds, in a temporary folder, files of the shapes vendors write (invented values): a 79-column Shopify orders
export with continuation rows and tips, a Meta pt-BR ad-level export with age × gender breakdowns, a TikTok hourly
XLSX as Excelize writes it, a Google UTF-16 keyword report, a ShipStation Orders grid, a WooCommerce plugin export.
Then times `parse_bytes` on each (best of three) and checks every row is accounted for.

    .venv/bin/python benchmarks/parser_bench.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import time
from pathlib import Path

from ecom_pipeline.sample.xlsx import excelize_workbook
from ecom_pipeline.sources import parse_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "ecom_pipeline_tests" / "fixtures" / "real_layouts"


def _csv(rows: list[list], delimiter: str = ",", terminator: str = "\n", quote_all: bool = False) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=terminator, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    return buffer.getvalue()


def shopify_orders(orders: int) -> bytes:
    header = (FIXTURES / "shopify_orders_79_columns_2025_2026.csv").read_text().splitlines()[0].split(",")
    col = {name: i for i, name in enumerate(header)}
    rows = [header]
    for n in range(orders):
        lines = 1 + n % 3
        tip = n % 17 == 0
        total = 30.0 * lines + (2.0 if tip else 0.0)
        for k in range(lines + tip):
            row = [""] * len(header)
            row[col["Name"]], row[col["Email"]] = f"#{100000 + n}", f"buyer{n % 5000}@example.test"
            row[col["Created at"]], row[col["Vendor"]] = f"2026-0{1 + n % 9}-{1 + n % 28:02d} 10:{n % 60:02d}:00 -0500", "Invented Goods"
            is_tip = k == lines
            row[col["Lineitem quantity"]], row[col["Lineitem name"]] = "1", "Tip" if is_tip else f"Product {k} - Size {n % 4}"
            row[col["Lineitem price"]] = "2.00" if is_tip else "30.00"
            row[col["Lineitem requires shipping"]] = "false" if is_tip else "true"
            if k == 0:
                for name, value in (("Financial Status", "paid"), ("Currency", "USD"), ("Subtotal", f"{30.0 * lines:.2f}"), ("Shipping", "0.00"),
                                    ("Taxes", "0.00"), ("Total", f"{total:.2f}"), ("Discount Amount", "0.00"), ("Id", str(6900000000000 + n)),
                                    ("Notes", "Leave it at the door,\nplease" if n % 50 == 0 else ""), ("Source", "web")):
                    row[col[name]] = value
            rows.append(row)
    return _csv(rows).encode()


def meta_breakdowns(rows_wanted: int) -> bytes:
    header = ["Início dos relatórios", "Término dos relatórios", "Nome do anúncio", "Idade", "Gênero", "Valor usado (BRL)", "Impressões", "Cliques (todos)"]
    rows = [header]
    ages, genders = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"], ["female", "male", "unknown"]
    for n in range(rows_wanted):
        day = f"2026-0{1 + (n // 18000) % 9}-{1 + (n // 18) % 28:02d}"
        rows.append([day, day, f"Anúncio {(n // 18) % 1000}", ages[n % 6], genders[(n // 6) % 3], f"{1 + n % 97 / 7:.6f}", str(100 + n % 900), str(n % 13)])
    return b"\xef\xbb\xbf" + _csv(rows).encode()


def tiktok_hourly(rows_wanted: int) -> bytes:
    rows = [["Campaign name", "Campaign ID", "Ad name", "Ad ID", "Time", "Currency", "Cost", "Impressions", "Clicks (destination)", "Conversions"]]
    for n in range(rows_wanted):
        ad = (n // 24) % 200
        rows.append(["Spark - UGC", "178000", f"UGC {ad}", f"179{ad:05d}", f"2026-0{1 + (n // 4800) % 9}-{1 + (n // 4800 // 9) % 28:02d} {n % 24:02d}:00",
                     "USD", f"{0.4 + n % 9 * 0.1:.2f}", str(60 + n % 40), str(n % 3), "0"])
    rows.append(["-"] * 6 + ["", "", "", ""])
    return excelize_workbook(rows)


def google_keywords(rows_wanted: int) -> bytes:
    rows = [["Search keyword report"], ["January 1, 2026 - March 31, 2026"],
            ["Day", "Keyword", "Match type", "Campaign", "Ad group", "Currency code", "Impr.", "Clicks", "Cost", "Conversions", "Conv. value"]]
    for n in range(rows_wanted):
        rows.append([f"2026-0{1 + n % 3}-{1 + (n // 3) % 28:02d}", f"keyword {n % 5000}", "Phrase match", f"Generic {n % 20}", f"Group {n % 60}", "USD",
                     f"{1000 + n % 9000:,}", str(n % 70), f"{n % 300 / 7:.2f}", f"{n % 4:.2f}", f"{n % 4 * 24:.2f}"])
    rows.append(["Total: Account", "", "", "", "", "USD", "1", "1", "1.00", "0", "0"])
    return _csv(rows, delimiter="\t").encode("utf-16")


def shipstation_grid(orders: int) -> bytes:
    rows = [["Order #", "Store", "Age", "Order Date", "Item Name", "Recipient", "Ship Date", "Quantity", "Item SKU", "Order Total", "Shipping Paid",
             "Rate", "Service", "Tags"]]
    for n in range(orders):
        for k in range(1 + n % 2):
            rows.append([str(100000 + n), "TikTok Shop" if n % 40 == 0 else "Invented Shopify", "2d 3h", f"0{1 + n % 9}/{1 + n % 28:02d}/2026",
                         f"Product {k}", "Test Person", "" if n % 97 == 0 else f"0{1 + n % 9}/{1 + n % 28:02d}/2026", "1", "", "60.00", "0.00",
                         f"{4 + n % 5 * 0.5:.2f}", "USPS Ground Advantage", ""])
    return _csv(rows, terminator="\r\n", quote_all=True).encode()


def woocommerce(orders: int) -> bytes:
    header = ["order_id", "order_number", "order_date", "status", "shipping_total", "tax_total", "discount_total", "order_total", "order_currency",
              "customer_email", "billing_email", "line_item_1", "line_item_2"]
    rows = [header]
    for n in range(orders):
        rows.append([str(n), str(n), f"2026-0{1 + n % 9}-{1 + n % 28:02d} 12:00:00", "completed", "5.00", "0.00", "0.00", "65.00", "USD",
                     f"buyer{n % 5000}@example.test", "", "name:Tee|product_id:1|sku:|quantity:1|subtotal:30.00|total:30.00",
                     "name:Mug|product_id:2|sku:MUG|quantity:1|subtotal:30.00|total:30.00"])
    return b"\xef\xbb\xbf" + _csv(rows).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the sizes below (a busy brand's quarter)")
    args = parser.parse_args()
    s = args.scale
    files = {
        "Shopify orders, 79 columns, 100k orders": shopify_orders(int(100_000 * s)),
        "Meta pt-BR ad × age × gender, 200k rows": meta_breakdowns(int(200_000 * s)),
        "TikTok hourly XLSX (Excelize), 100k rows": tiktok_hourly(int(100_000 * s)),
        "Google keyword report UTF-16, 200k rows": google_keywords(int(200_000 * s)),
        "ShipStation Orders grid, 100k orders": shipstation_grid(int(100_000 * s)),
        "WooCommerce plugin export, 100k orders": woocommerce(int(100_000 * s)),
    }
    print("| file | MB | rows read | loaded | skipped | quarantined | seconds | rows/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, raw in files.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            result = parse_bytes(raw, name="bench.csv", default_currency="USD", shop_timezone="America/New_York")
            times.append(time.perf_counter() - started)
        assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_skipped
        best = min(times)
        print(f"| {name} | {len(raw) / 2**20:.1f} | {result.rows_read:,} | {result.rows_loaded:,} | {result.rows_skipped:,} | "
              f"{result.rows_quarantined:,} | {best:.2f} | {result.rows_read / best:,.0f} |")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
