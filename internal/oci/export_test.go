package oci

// SetPageSize makes Tags ask for n tags per page (to test pagination).
func (c *Client) SetPageSize(n int) { c.pageSize = n }
