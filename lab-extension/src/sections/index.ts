import { ClassSection } from './ClassSection';
import { CollaboratorsSection } from './CollaboratorsSection';
import { CredentialsSection } from './CredentialsSection';
import { EnvhubSection } from './EnvhubSection';
import { EnvironmentSection } from './EnvironmentSection';
import { MaterialsSection } from './MaterialsSection';
import { MountsSection } from './MountsSection';

export { EnvhubSection } from './EnvhubSection';

/**
 * The sections of the envhub panel, top to bottom. A new section is a file here with
 * an `EnvhubSection` subclass, and one entry in this list.
 */
export const SECTIONS: readonly EnvhubSection.IConstructor[] = [
  EnvironmentSection,
  MountsSection,
  CollaboratorsSection,
  MaterialsSection,
  ClassSection,
  CredentialsSection
];
