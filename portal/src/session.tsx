import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, type ReactNode } from 'react';
import { api, ok, setCsrfToken } from './api/client.ts';

type SessionAnswer = Awaited<ReturnType<typeof loadSession>>;
export type Role = 'customer' | 'read' | 'operate' | 'admin';

async function loadSession() {
  const s = await ok(api.GET('/auth/session'));
  setCsrfToken(s.csrf_token);
  return s;
}

const Ctx = createContext<{ session: SessionAnswer | undefined; loading: boolean; error: unknown; refresh: () => Promise<void> }>({ session: undefined, loading: true, error: null, refresh: async () => {} });

export function SessionProvider({ children }: { children: ReactNode }) {
  const q = useQuery({ queryKey: ['session'], queryFn: loadSession, staleTime: 60_000 });
  const client = useQueryClient();
  const refresh = async () => {
    await client.invalidateQueries();
  };
  return <Ctx.Provider value={{ session: q.data, loading: q.isLoading, error: q.error, refresh }}>{children}</Ctx.Provider>;
}

export const useSession = () => useContext(Ctx);

/** Whether the signed-in user's role covers `need` (operators only; customers have none). */
export function can(role: Role | undefined, need: 'read' | 'operate' | 'admin'): boolean {
  const rank = { customer: -1, read: 0, operate: 1, admin: 2 } as const;
  return role !== undefined && rank[role] >= rank[need];
}

export type PortalAccess = Awaited<ReturnType<typeof listAccessesForType>>['items'][number];
export const listAccessesForType = () => ok(api.GET('/portal/api/v1/accesses'));
