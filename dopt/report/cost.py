"""Monthly registry cost of image bytes: storage and transfer, from sizes x pulls x regions.

The defaults are list prices, so the result is an order of magnitude, not an invoice:

* storage: **$0.10 per GB-month** (AWS ECR private repositories);
* transfer: **$0.09 per GB** (AWS data transfer out to the internet, first 10 TB tier);
* AWS ECR / AWS data transfer list prices as of **2024-06** (us-east-1).

Model: every region keeps one replica of the saved bytes (storage), and every pull moves them
once (transfer). Pulls inside one AWS region from EC2/EKS are free of transfer charges, so set
``transfer_price=0`` for that case. Sizes are taken as given: registry sizes are compressed, so a
saving measured on uncompressed bytes overstates the bill (docs/REPORTS.md says which figure each
report uses).

Example::

    >>> e = monthly_savings(500, pulls_per_month=1000, regions=5)
    >>> round(e.storage_usd, 2), round(e.transfer_usd, 2), round(e.total_usd, 2)
    (0.24, 43.95, 44.19)
"""

from __future__ import annotations

from attrs import frozen

PRICES_AS_OF = "2024-06"
PRICES_SOURCE = "AWS ECR storage and AWS data-transfer-out list prices (us-east-1) as of 2024-06"
DEFAULT_STORAGE_PRICE = 0.10    # USD per GB-month
DEFAULT_TRANSFER_PRICE = 0.09   # USD per GB
DEFAULT_PULLS_PER_MONTH = 1000
DEFAULT_REGIONS = 1


@frozen
class CostEstimate:
    """Monthly savings in USD for ``saved_mb`` fewer megabytes per image."""

    saved_mb: float
    pulls_per_month: int
    regions: int
    storage_price: float
    transfer_price: float
    storage_usd: float
    transfer_usd: float

    @property
    def total_usd(self) -> float:
        return self.storage_usd + self.transfer_usd

    def to_dict(self) -> dict:
        return {
            "saved_mb": round(self.saved_mb, 1), "pulls_per_month": self.pulls_per_month,
            "regions": self.regions, "storage_price_per_gb_month": self.storage_price,
            "transfer_price_per_gb": self.transfer_price, "storage_usd_per_month": round(self.storage_usd, 2),
            "transfer_usd_per_month": round(self.transfer_usd, 2), "total_usd_per_month": round(self.total_usd, 2),
            "prices_as_of": PRICES_AS_OF, "prices_source": PRICES_SOURCE,
        }

    def summary(self) -> str:
        """One line for terminal and Markdown reports.

        >>> monthly_savings(1024, pulls_per_month=100).summary()
        '~$9.10/month (storage $0.10 + transfer $9.00; 100 pulls/month, 1 region, list prices as of 2024-06)'
        """
        regions = f"{self.regions} region" + ("s" if self.regions != 1 else "")
        return (f"~${self.total_usd:,.2f}/month (storage ${self.storage_usd:,.2f} + transfer "
                f"${self.transfer_usd:,.2f}; {self.pulls_per_month:,} pulls/month, {regions}, "
                f"list prices as of {PRICES_AS_OF})")


def monthly_savings(saved_mb: float, *, pulls_per_month: int = DEFAULT_PULLS_PER_MONTH,
                    regions: int = DEFAULT_REGIONS, storage_price: float = DEFAULT_STORAGE_PRICE,
                    transfer_price: float = DEFAULT_TRANSFER_PRICE) -> CostEstimate:
    """Storage (``regions`` replicas) and transfer (``pulls_per_month`` pulls) saved per month.

    >>> monthly_savings(0).total_usd
    0.0
    """
    from dopt.errors import UsageError

    for name, value in (("pulls-per-month", pulls_per_month), ("regions", regions),
                        ("storage price", storage_price), ("transfer price", transfer_price)):
        if value < 0:
            raise UsageError(f"cost: {name} must not be negative, got {value}")
    gb = max(saved_mb, 0.0) / 1024.0
    return CostEstimate(saved_mb=max(saved_mb, 0.0), pulls_per_month=int(pulls_per_month), regions=int(regions),
                        storage_price=storage_price, transfer_price=transfer_price,
                        storage_usd=gb * storage_price * regions,
                        transfer_usd=gb * transfer_price * pulls_per_month)


def from_settings(saved_mb: float, settings: dict | None = None) -> CostEstimate:
    """``monthly_savings`` with keys of a ``[cost]`` table / CLI flags (missing keys: defaults).

    >>> from_settings(1024, {"regions": 2, "pulls_per_month": 0}).storage_usd
    0.2
    """
    s = {k: v for k, v in (settings or {}).items() if v is not None}
    return monthly_savings(saved_mb, pulls_per_month=s.get("pulls_per_month", DEFAULT_PULLS_PER_MONTH),
                           regions=s.get("regions", DEFAULT_REGIONS),
                           storage_price=s.get("storage_price", DEFAULT_STORAGE_PRICE),
                           transfer_price=s.get("transfer_price", DEFAULT_TRANSFER_PRICE))
