"""Import every model module, so the metadata (and so migrations) sees all tables."""
from crm.core.models import Classroom, Firm, LoginFailure, Membership, User  # noqa: F401
from crm.formation.models import (  # noqa: F401
    Activity, ActivityCompetency, Assessment, FirmScenario, Scenario, ScenarioEvent,
)
from crm.core.models import FirmSettings  # noqa: F401
from crm.core.numbering_models import DocumentCounter  # noqa: F401
from crm.ventes.models import Product, ProductFamily, ProductObjection, PromotionalPrice  # noqa: F401
from crm.stocks.models import (  # noqa: F401
    GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, StockCount, StockCountLine,
    StockMove, StockThreshold, SupplierTerms,
)
from crm.clients.models import Address, Contact, Interaction, Party, SavedFilter  # noqa: F401
from crm.accueil.models import DeskRequest, DeskRequestEvent, Service, StaffMember  # noqa: F401
from crm.ventes.documents.models import Payment, SalesDocument, SalesLine  # noqa: F401
from crm.ventes.caisse.models import (  # noqa: F401
    CounterSale, CounterSaleLine, CounterSalePayment, DailyClosing, DailyClosingTotal, TillChain,
)
from crm.prospection.models import (  # noqa: F401
    AgendaItem, CallAttempt, CallPlan, CallPlanEntry, CallPlanObjection, Mailing, MailingPart, Message,
    MessageTemplate, PaymentReminder,
)
from crm.indicateurs.models import PerformanceAnalysis, SatisfactionSurvey  # noqa: F401
from crm.einvoice.models import IncomingInvoice, SupplierInvoice, SupplierInvoiceLine, SupplierPayment  # noqa: F401
