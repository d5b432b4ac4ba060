// A custom JWT claims script that reads the application from the context.
const getCustomJwtClaims = async ({ token, context }) => ({
  appName: context.application.name,
  appType: context.application.type,
  audience: token.aud,
});
