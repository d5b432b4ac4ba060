// A trivial custom JWT claims script: returns a constant claim.
const getCustomJwtClaims = async () => ({ tier: 'gold' });
