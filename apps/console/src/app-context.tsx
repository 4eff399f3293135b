import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from './api/client';
import { Session, type SessionState } from './auth/session';

interface Services {
  session: Session;
  api: ApiClient;
}

const ServicesContext = createContext<Services | null>(null);

export function createServices(storage: Storage = sessionStorage): Services {
  const session = new Session(storage);
  return { session, api: createApiClient(session) };
}

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('ServicesProvider is missing');
  return services;
}

export const useApi = (): ApiClient => useServices().api;
export const useSession = (): Session => useServices().session;

export function useSessionState(): SessionState {
  const session = useSession();
  return useSyncExternalStore(session.subscribe, () => session.current);
}
