import { ObjectType } from 'type-graphql';
import { Node } from '../../graphql/common.types';

@ObjectType('Wallet', { implements: Node, description: 'The dollar value of the minutes a sub-account can still use.' })
export class WalletType extends Node {}
