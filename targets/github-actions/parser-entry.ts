/**
 * What specc uses of GitHub's workflow parser, in one module: the build bundles this file on its
 * own (dist/bin/workflow-parser.cjs). Besides the parser it exposes the context a parse runs in and
 * the schema classes, so a compile can hand the parser GitHub's workflow schema rebuilt from the
 * copy the build saved (schema-copy.ts) instead of loading it from its JSON source each time.
 */
export { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
export { BooleanDefinition } from "@actions/workflow-parser/templates/schema/boolean-definition";
export { MappingDefinition } from "@actions/workflow-parser/templates/schema/mapping-definition";
export { NullDefinition } from "@actions/workflow-parser/templates/schema/null-definition";
export { NumberDefinition } from "@actions/workflow-parser/templates/schema/number-definition";
export { OneOfDefinition } from "@actions/workflow-parser/templates/schema/one-of-definition";
export { PropertyDefinition } from "@actions/workflow-parser/templates/schema/property-definition";
export { SequenceDefinition } from "@actions/workflow-parser/templates/schema/sequence-definition";
export { StringDefinition } from "@actions/workflow-parser/templates/schema/string-definition";
export { TemplateSchema } from "@actions/workflow-parser/templates/schema/template-schema";
export { TemplateContext, TemplateValidationErrors } from "@actions/workflow-parser/templates/template-context";
export { getWorkflowSchema } from "@actions/workflow-parser/workflows/workflow-schema";
