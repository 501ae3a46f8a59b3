import { alnum, intBetween, pick, type Rng, rngFor } from "./random.js";

export interface Marketplace {
  id: string;
  name: string;
  countryCode: string;
  currency: string;
  language: string;
  domain: string;
  /** Rough factor from USD list prices to the local currency. */
  priceFactor: number;
  orderIdPrefixes: readonly string[];
  cities: readonly { city: string; state: string; postal: (rng: Rng) => string }[];
}

export const MARKETPLACES: readonly Marketplace[] = [
  {
    id: "ATVPDKIKX0DER",
    name: "Amazon.com",
    countryCode: "US",
    currency: "USD",
    language: "en_US",
    domain: "www.amazon.com",
    priceFactor: 1,
    orderIdPrefixes: ["111", "112", "113", "114"],
    cities: [
      { city: "Seattle", state: "WA", postal: (r) => `981${intBetween(r, 10, 99)}` },
      { city: "Austin", state: "TX", postal: (r) => `787${intBetween(r, 10, 99)}` },
      { city: "Columbus", state: "OH", postal: (r) => `430${intBetween(r, 10, 99)}` },
      { city: "Denver", state: "CO", postal: (r) => `802${intBetween(r, 10, 99)}` },
    ],
  },
  {
    id: "A2EUQ1WTGCTBG2",
    name: "Amazon.ca",
    countryCode: "CA",
    currency: "CAD",
    language: "en_CA",
    domain: "www.amazon.ca",
    priceFactor: 1.36,
    orderIdPrefixes: ["701", "702"],
    cities: [
      { city: "Toronto", state: "ON", postal: () => "M5H 2N2" },
      { city: "Vancouver", state: "BC", postal: () => "V6B 1A1" },
    ],
  },
  {
    id: "A1F83G8C2ARO7P",
    name: "Amazon.co.uk",
    countryCode: "GB",
    currency: "GBP",
    language: "en_GB",
    domain: "www.amazon.co.uk",
    priceFactor: 0.79,
    orderIdPrefixes: ["202", "203", "204", "026"],
    cities: [
      { city: "London", state: "Greater London", postal: () => "EC1A 1BB" },
      { city: "Manchester", state: "Greater Manchester", postal: () => "M1 1AE" },
    ],
  },
  {
    id: "A1PA6795UKMFR9",
    name: "Amazon.de",
    countryCode: "DE",
    currency: "EUR",
    language: "de_DE",
    domain: "www.amazon.de",
    priceFactor: 0.92,
    orderIdPrefixes: ["302", "303", "304", "305", "028"],
    cities: [
      { city: "Berlin", state: "Berlin", postal: (r) => `10${intBetween(r, 115, 999)}` },
      { city: "München", state: "Bayern", postal: (r) => `80${intBetween(r, 331, 999)}` },
    ],
  },
];

export function marketplaceById(id: string): Marketplace | undefined {
  return MARKETPLACES.find((m) => m.id === id);
}

/** Seller k sells in two neighbouring marketplaces, so sellers differ and regions mix. */
export function marketplacesOfSeller(sellerIndex: number): readonly Marketplace[] {
  const n = MARKETPLACES.length;
  return [0, 1].map((k) => MARKETPLACES[(2 * sellerIndex + k) % n] as Marketplace);
}

export const FIRST_NAMES = [
  "Alex",
  "Maria",
  "James",
  "Yuki",
  "Fatima",
  "Liam",
  "Sofia",
  "Noah",
  "Amara",
  "Lukas",
  "Chloe",
  "Mateo",
  "Priya",
  "Ethan",
  "Hannah",
  "Omar",
  "Grace",
  "Jonas",
  "Elena",
  "Kwame",
] as const;
export const LAST_NAMES = [
  "Smith",
  "Garcia",
  "Müller",
  "Tanaka",
  "Okafor",
  "Brown",
  "Rossi",
  "Nguyen",
  "Schmidt",
  "Patel",
  "Johnson",
  "Dubois",
  "Kowalski",
  "Silva",
  "Andersen",
  "Murphy",
  "Kim",
  "Fischer",
  "Lopez",
  "Wright",
] as const;
export const STREETS = [
  "Main Street",
  "Oak Avenue",
  "Maple Road",
  "High Street",
  "Park Lane",
  "Church Road",
  "Hauptstraße",
  "Lakeview Drive",
  "Station Road",
  "Cedar Court",
  "Bahnhofstraße",
  "King Street",
] as const;
const ADJECTIVES = [
  "Stainless",
  "Organic",
  "Wireless",
  "Compact",
  "Premium",
  "Bamboo",
  "Insulated",
  "Ergonomic",
];
const NOUNS = [
  "Water Bottle",
  "Yoga Mat",
  "Desk Lamp",
  "Phone Stand",
  "Cutting Board",
  "Travel Mug",
  "Backpack",
  "Bluetooth Speaker",
  "Notebook Set",
  "Pet Bowl",
  "Garden Hose",
  "Kitchen Scale",
];
export const CARRIERS = ["UPS", "USPS", "FedEx", "DHL", "Royal Mail", "Canada Post"] as const;

export interface Product {
  index: number;
  asin: string;
  sellerSku: string;
  fnSku: string;
  title: string;
  /** List price in US cents; converted per marketplace. */
  usdCents: number;
  weightGrams: number;
}

const PRODUCT_STREAM = 11;
export const PRODUCTS_PER_SELLER = 36;

export function productOf(seed: number, sellerIndex: number, index: number): Product {
  const rng = rngFor(seed, PRODUCT_STREAM, sellerIndex * 1000 + index);
  const adjective = pick(rng, ADJECTIVES);
  const noun = pick(rng, NOUNS);
  const code = alnum(rng, 6);
  return {
    index,
    asin: `B0${alnum(rng, 8)}`,
    sellerSku: `${noun.split(" ")[0]?.toUpperCase() ?? "SKU"}-${code}`,
    fnSku: `X00${alnum(rng, 7)}`,
    title: `${adjective} ${noun}, ${intBetween(rng, 1, 4) * 250} ${pick(rng, ["ml", "g", "cm", "pcs"])}`,
    usdCents: intBetween(rng, 6, 90) * 100 + pick(rng, [99, 95, 49, 0]),
    weightGrams: intBetween(rng, 80, 2500),
  };
}

export function productsOf(seed: number, sellerIndex: number): Product[] {
  return Array.from({ length: PRODUCTS_PER_SELLER }, (_, k) => productOf(seed, sellerIndex, k));
}

export function localCents(product: Product, marketplace: Marketplace): number {
  return Math.round((product.usdCents * marketplace.priceFactor) / 10) * 10 - 1;
}

export function money(cents: number): string {
  return (cents / 100).toFixed(2);
}
