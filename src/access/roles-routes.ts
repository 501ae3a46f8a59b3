import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PERMISSIONS } from "./permissions.js";
import { permissionsOf, ROLES, type Role } from "./roles.js";

const LABELS: Readonly<Record<Role, { label: string; description: string }>> = {
  owner: { label: "Owner", description: "Everything, including deleting the seller account." },
  admin: {
    label: "Admin",
    description: "Runs the account and the team; may reveal buyer data with a purpose.",
  },
  analyst: {
    label: "Analyst",
    description: "Business figures (orders, stock, prices, finances); never buyer data.",
  },
  fulfillment: {
    label: "Fulfillment",
    description: "Ships orders; may reveal buyer data of FBM orders with a purpose.",
  },
  viewer: { label: "Viewer", description: "Reads orders, stock and prices." },
};

/** The role table as the server enforces it, so the web app never keeps a copy that could drift. */
export function rolesCatalog() {
  return {
    roles: ROLES.map((name) => ({
      name,
      label: LABELS[name].label,
      description: LABELS[name].description,
      permissions: [...permissionsOf(name)],
    })),
    permissions: [...PERMISSIONS],
  };
}

export function rolesRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/api/roles",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Every role with the permissions it holds, and the permission catalog",
          tags: ["team"],
          response: {
            200: z.object({
              roles: z.array(
                z.object({
                  name: z.string().max(32),
                  label: z.string().max(64),
                  description: z.string().max(200),
                  permissions: z.array(z.string().max(64)),
                }),
              ),
              permissions: z.array(z.string().max(64)),
            }),
          },
        },
      },
      async () => rolesCatalog(),
    );
  };
}
