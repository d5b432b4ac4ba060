package management

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
)

// errorBody is Logto's error shape: a code and a message, plus the RFC
// 6749 error and error_description that plain OAuth clients read.
type errorBody struct {
	Code             string `json:"code"`
	Message          string `json:"message"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
	// Data is Logto's detail of some refusals (a rejected password's
	// issues).
	Data any `json:"data,omitempty"`
}

// writeError sends {"code": code, "message": message} with the given
// status.
func writeError(w http.ResponseWriter, status int, code, message string) {
	httpjson.Write(w, status, errorBody{Code: code, Message: message})
}

// logtoStatus is the status and code Logto answers a refusal with.
type logtoStatus struct {
	status int
	code   string
}

// kindStatus answers each kind of refusal without a reason of its own.
var kindStatus = map[directory.Kind]logtoStatus{
	directory.Invalid:   {http.StatusBadRequest, "request.invalid_input"},
	directory.NotFound:  {http.StatusNotFound, "entity.not_exists"},
	directory.Conflict:  {http.StatusUnprocessableEntity, "entity.unique_integrity_violation"},
	directory.Forbidden: {http.StatusForbidden, "auth.forbidden"},
}

// reasonStatus answers the refusals Logto gives codes of their own.
var reasonStatus = map[directory.Reason]logtoStatus{
	directory.ReasonApplicationType:        {http.StatusUnprocessableEntity, "application.invalid_type"},
	directory.ReasonDeviceFlow:             {http.StatusUnprocessableEntity, "application.device_flow_native_only"},
	directory.ReasonApplicationRoleType:    {http.StatusUnprocessableEntity, "application.invalid_role_type"},
	directory.ReasonUserRoleType:           {http.StatusUnprocessableEntity, "user.invalid_role_type"},
	directory.ReasonRoleType:               {http.StatusUnprocessableEntity, "role.invalid_type"},
	directory.ReasonBuiltIn:                {http.StatusBadRequest, "resource.cannot_modify_management_api"},
	directory.ReasonBuiltInDelete:          {http.StatusBadRequest, "resource.cannot_delete_management_api"},
	directory.ReasonConsoleAppDelete:       {http.StatusBadRequest, "application.cannot_delete_admin_console"},
	directory.ReasonLastAdminDelete:        {http.StatusBadRequest, "user.cannot_delete_last_admin"},
	directory.ReasonLastAdminSuspend:       {http.StatusBadRequest, "user.cannot_suspend_last_admin"},
	directory.ReasonIndicatorLookalike:     {http.StatusUnprocessableEntity, "resource.resource_identifier_in_use"},
	directory.ReasonIndicatorTaken:         {http.StatusUnprocessableEntity, "resource.resource_identifier_in_use"},
	directory.ReasonRoleNameTaken:          {http.StatusUnprocessableEntity, "role.name_in_use"},
	directory.ReasonScopeNameTaken:         {http.StatusUnprocessableEntity, "scope.name_exists"},
	directory.ReasonNoSuchID:               {http.StatusNotFound, "entity.not_exists_with_id"},
	directory.ReasonUsernameTaken:          {http.StatusUnprocessableEntity, "user.username_already_in_use"},
	directory.ReasonEmailTaken:             {http.StatusUnprocessableEntity, "user.email_already_in_use"},
	directory.ReasonPhoneTaken:             {http.StatusUnprocessableEntity, "user.phone_already_in_use"},
	directory.ReasonPasswordAndDigest:      {http.StatusBadRequest, "user.password_and_digest"},
	directory.ReasonNoPasswordAlgorithm:    {http.StatusBadRequest, "user.password_algorithm_required"},
	directory.ReasonLegacyFormat:           {http.StatusBadRequest, "password.invalid_legacy_password_format"},
	directory.ReasonLegacyAlgorithm:        {http.StatusBadRequest, "password.unsupported_legacy_hash_algorithm"},
	directory.ReasonWrongPassword:          {http.StatusUnprocessableEntity, "session.invalid_credentials"},
	directory.ReasonIdentityTaken:          {http.StatusUnprocessableEntity, "user.identity_already_in_use"},
	directory.ReasonIdentityNotFound:       {http.StatusNotFound, "user.identity_not_exist"},
	directory.ReasonLastSignInMethod:       {http.StatusBadRequest, "user.last_sign_in_method_required"},
	directory.ReasonRelationNotFound:       {http.StatusUnprocessableEntity, "entity.relation_foreign_key_not_found"},
	directory.ReasonRelationMissing:        {http.StatusNotFound, "entity.not_found"},
	directory.ReasonOrganizationConstraint: {http.StatusUnprocessableEntity, "entity.db_constraint_violated"},
	directory.ReasonRequireMembership:      {http.StatusUnprocessableEntity, "organization.require_membership"},
	directory.ReasonRoleNamesNotFound:      {http.StatusUnprocessableEntity, "organization.role_names_not_found"},
	directory.ReasonPasswordRejected:       {http.StatusUnprocessableEntity, "password.rejected"},
	directory.ReasonInvitationNotFound:     {http.StatusNotFound, "entity.not_found"},
	directory.ReasonInvitationRefused:      {http.StatusUnprocessableEntity, "request.invalid_input"},
}

// logtoError is a directory refusal as Logto answers it.
func logtoError(e *directory.Error) *apiError {
	st, ok := reasonStatus[e.Reason]
	if !ok {
		if st, ok = kindStatus[e.Kind]; !ok {
			st = logtoStatus{http.StatusBadRequest, "request.invalid_input"}
		}
	}
	return &apiError{st.status, st.code, e.Message}
}
