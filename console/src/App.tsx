import { useEffect } from 'preact/hooks';
import { match, navigate, useLocation } from './router';
import { Shell } from './Shell';
import { EmptyState, Button } from './ui/ui';
import { Applications } from './pages/Applications';
import { ApplicationDetail } from './pages/ApplicationDetail';
import { Resources } from './pages/Resources';
import { ResourceDetail } from './pages/ResourceDetail';
import { Roles } from './pages/Roles';
import { RoleDetail } from './pages/RoleDetail';
import { Users } from './pages/Users';
import { UserDetail } from './pages/UserDetail';
import { CustomJwt } from './pages/CustomJwt';
import { CustomJwtEditorPage } from './pages/CustomJwtEditorPage';
import { SigningKeys } from './pages/SigningKeys';
import { Webhooks } from './pages/Webhooks';
import { AuditLogs } from './pages/AuditLogs';
import { AuditLogDetail } from './pages/AuditLogDetail';
import { SignInExperience } from './pages/SignInExperience';
import { Organizations } from './pages/Organizations';
import { Connectors } from './pages/Connectors';
import { OrganizationDetail } from './pages/OrganizationDetail';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound() {
  return (
    <EmptyState icon="warning" title="Page not found" action={<Button variant="primary" onClick={() => navigate('/applications')}>Go to applications</Button>}>
      There is nothing at this address in the console.
    </EmptyState>
  );
}

export function App() {
  const { path } = useLocation();
  let page;
  let p: Record<string, string> | null;
  if (path === '/' || path === '/callback') page = <Redirect to="/applications" />;
  else if (match('/applications', path)) page = <Applications />;
  else if ((p = match('/applications/:id', path))) page = <ApplicationDetail key={p.id} id={p.id} />;
  else if (match('/api-resources', path)) page = <Resources />;
  else if ((p = match('/api-resources/:id', path))) page = <ResourceDetail key={p.id} id={p.id} />;
  else if (match('/roles', path)) page = <Roles />;
  else if ((p = match('/roles/:id', path))) page = <RoleDetail key={p.id} id={p.id} />;
  else if (match('/users', path)) page = <Users />;
  else if ((p = match('/users/:id', path))) page = <UserDetail key={p.id} id={p.id} />;
  else if (match('/custom-jwt', path)) page = <CustomJwt />;
  else if ((p = match('/custom-jwt/:tokenType', path)) && (p.tokenType === 'access-token' || p.tokenType === 'client-credentials'))
    page = <CustomJwtEditorPage key={p.tokenType} tokenType={p.tokenType} />;
  else if (match('/signing-keys', path)) page = <SigningKeys />;
  else if (match('/webhooks', path)) page = <Webhooks />;
  else if (match('/audit-logs', path)) page = <AuditLogs />;
  else if ((p = match('/audit-logs/:id', path))) page = <AuditLogDetail key={p.id} id={p.id} />;
  else if (match('/sign-in-experience', path)) page = <SignInExperience />;
  else if (match('/organizations', path)) page = <Organizations />;
  else if (match('/connectors', path)) page = <Connectors />;
  else if ((p = match('/organizations/:id', path))) page = <OrganizationDetail key={p.id} id={p.id} />;
  else page = <NotFound />;
  return <Shell>{page}</Shell>;
}
