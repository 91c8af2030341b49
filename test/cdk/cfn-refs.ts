// CloudFormation intrinsic references as a synthesized template spells them, for matching template values.

/** `{ Ref: logicalId }`. */
export const ref = (logicalId: string) => ({ Ref: logicalId });
/** The ARN of a resource: `{ 'Fn::GetAtt': [logicalId, 'Arn'] }`. */
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
