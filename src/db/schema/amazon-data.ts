// Amazon Information (migration 0008, src/sync); the DB interface is in ../schema.ts.

// Amazon Information (migration 0008, src/sync). Money: integer minor units + ISO 4217 currency.
export interface OrdersTable {
  /** Derived from (account_id, amazon_order_id); see src/sync/orders-repo.ts. */
  id: string;
  account_id: string;
  amazon_order_id: string;
  marketplace: string | null;
  status: string;
  fulfillment_channel: string;
  purchase_date: string;
  last_updated_at: string;
  latest_ship_date: string | null;
  latest_delivery_date: string | null;
  delivered_at: string | null;
  total_minor: number | null;
  currency: string | null;
  item_count: number | null;
  unit_count: number | null;
  ship_service_level: string | null;
  ship_country: string | null;
  is_business: number | null;
  is_prime: number | null;
  shipping_enabled: number;
  has_buyer_data: number;
  has_recipient_data: number;
  source: string;
  unknown_enum: number;
  created_at: string;
  updated_at: string;
}

export interface OrderItemsTable {
  order_id: string;
  item_key: string;
  account_id: string;
  order_item_id: string | null;
  sku: string | null;
  asin: string | null;
  title: string | null;
  quantity: number;
  currency: string | null;
  item_price_minor: number | null;
  item_tax_minor: number | null;
  shipping_price_minor: number | null;
  promotion_discount_minor: number | null;
  created_at: string;
  updated_at: string;
}

/** FBM buyer/recipient data. Every value column is sealed: sp1:v<n>:... under the account's data key. */
export interface OrderBuyerPiiTable {
  order_id: string;
  account_id: string;
  buyer_name: string | null;
  ship_name: string | null;
  address_line1: string | null;
  address_line2: string | null;
  address_line3: string | null;
  city: string | null;
  state_or_region: string | null;
  postal_code: string | null;
  country_code: string | null;
  phone: string | null;
  delivered_at: string | null;
  purge_after: string | null;
  created_at: string;
  updated_at: string;
}

export interface InventorySummariesTable {
  account_id: string;
  marketplace: string;
  sku: string;
  asin: string | null;
  fn_sku: string | null;
  product_name: string | null;
  condition: string | null;
  fulfillable_quantity: number;
  inbound_quantity: number;
  reserved_quantity: number;
  unfulfillable_quantity: number;
  total_quantity: number;
  last_updated_at: string;
  synced_at: string;
}

export interface PricesTable {
  account_id: string;
  marketplace: string;
  asin: string;
  sku: string | null;
  currency: string;
  own_price_minor: number | null;
  buy_box_price_minor: number | null;
  lowest_price_minor: number | null;
  is_buy_box_winner: number | null;
  offer_count: number | null;
  as_of: string;
  synced_at: string;
}

export interface FinancialEventsTable {
  account_id: string;
  event_key: string;
  event_type: string;
  posted_date: string;
  amazon_order_id: string | null;
  sku: string | null;
  fee_type: string | null;
  amount_minor: number;
  currency: string;
  created_at: string;
}

export interface SyncCheckpointsTable {
  account_id: string;
  stream: string;
  cursor: string | null;
  updated_at: string;
  last_success_at: string | null;
  last_error_code: string | null;
  last_error_at: string | null;
  throttled_count: number;
}
